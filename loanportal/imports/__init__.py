"""The one import path for every spreadsheet the portal reads (pre-application lists first; fee standards,
renewal feeds, receipts, bank status and ledgers plug in the same way). See docs/architecture.md, "Imports".

- checks.check_upload(file) → CheckedFile: extension, content type, size, zip directory (entries,
  uncompressed size, ratio), macros, DOCTYPE/entities in any XML part, formulas, the cells' span — before
  any parsing; DomainError (a Chinese 400) otherwise.
- reader.read_rows(checked, template) → Sheet: python-calamine reads the one data sheet; the header row is
  matched to the Template's fields; rows keep the sheet's own numbers.
- service.run_import(file=, template=, validate_row=, check_rows=, write=) → ImportOutcome: per-row
  validation by the app, all-or-nothing in one transaction, ImportRejected with every RowError; with a
  StreamedWrite (PostgreSQL, no progress callback) the rows are written while the next ones are checked.
"""

from .checks import UPLOAD_FIELD_ERRORS, CheckedFile, check_upload
from .reader import (
    Field,
    Row,
    Sheet,
    Template,
    cell_text,
    column_letter,
    is_number,
    read_rows,
    read_sheets,
    read_text_rows,
)
from .service import (
    STORED_ERRORS_LIMIT,
    ImportOutcome,
    ImportRejected,
    RowError,
    RowResult,
    StreamedWrite,
    import_rejection_record,
    refused_by_a_concurrent_write,
    run_import,
    run_sheet_import,
)

__all__ = [
    "UPLOAD_FIELD_ERRORS",
    "STORED_ERRORS_LIMIT",
    "import_rejection_record",
    "CheckedFile",
    "Field",
    "ImportOutcome",
    "ImportRejected",
    "Row",
    "RowError",
    "RowResult",
    "Sheet",
    "StreamedWrite",
    "Template",
    "cell_text",
    "check_upload",
    "column_letter",
    "is_number",
    "read_rows",
    "read_sheets",
    "read_text_rows",
    "refused_by_a_concurrent_write",
    "run_import",
    "run_sheet_import",
]
