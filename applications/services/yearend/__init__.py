"""Writes of the loan year's close (notice 八): receipt confirmation in bulk and its return, the bank's
status per contract and from its spreadsheet, the county's archive boxes. Every state change goes through
the one transition service, application_transition."""

from .archives import archive_box_assign, archive_box_create
from .bank import (
    BANK_IMPORT_TEMPLATE,
    BankStatusImportRejected,
    bank_status_import,
    bank_status_import_job,
    bank_status_record,
)
from .receipts import receipt_return, receipts_confirm

__all__ = [
    "BANK_IMPORT_TEMPLATE",
    "BankStatusImportRejected",
    "archive_box_assign",
    "archive_box_create",
    "bank_status_import",
    "bank_status_import_job",
    "bank_status_record",
    "receipt_return",
    "receipts_confirm",
]
