"""Writes of the first-loan application (首贷申请): policy parameters, intake, the one transition service,
contract and receipt code, receipt entry, maker–checker corrections, the calendar's abandonment."""

from .acceptance import (
    application_create,
    current_loan_year,
    intake_closed_message,
    live_application_elsewhere,
    pre_application_for,
)
from .fee_certificates import fee_certificate_issue, fee_certificates_issue_many
from .policy import (
    POLICY_EDITOR_ROLES,
    POLICY_FIELDS,
    amounts_check,
    loan_policy_ensure,
    loan_policy_for,
    loan_policy_update,
    notice_8_abandon_reason,
)
from .receipts import RECEIPT_TEMPLATE, ReceiptScan, receipt_import, receipt_scan, receipt_template_workbook
from .transitions import (
    abandon_unreceipted,
    application_act,
    application_transition,
    correction_decide,
    correction_request,
    receipt_enter,
)

__all__ = [
    "POLICY_EDITOR_ROLES",
    "POLICY_FIELDS",
    "abandon_unreceipted",
    "amounts_check",
    "application_act",
    "application_create",
    "application_transition",
    "correction_decide",
    "correction_request",
    "current_loan_year",
    "fee_certificate_issue",
    "fee_certificates_issue_many",
    "intake_closed_message",
    "live_application_elsewhere",
    "loan_policy_ensure",
    "loan_policy_for",
    "loan_policy_update",
    "notice_8_abandon_reason",
    "pre_application_for",
    "receipt_enter",
    "receipt_import",
    "receipt_scan",
    "receipt_template_workbook",
    "RECEIPT_TEMPLATE",
    "ReceiptScan",
]
