"""Writes of relief cases (还款救助案件), keyword-only, validated, audited: intake (第十九条), documents, the
county initial review (第二十条), the county summary (附件4), the province's re-review (第二十一条（一）)
and the hand-over batch (附件5). Every status change goes through `relief_case_transition` (the one
transition service: states.TRANSITIONS, row locked, audit row in the same transaction). Follow-up
(credit, fraud, archives, information officer) is in case_followup.py."""

from .common import BUSINESS, relief_case_transition
from .handover import (
    county_summary_create,
    county_summary_submit,
    relief_batch_create,
    relief_batch_hand_over,
    relief_case_province_decide,
)
from .intake import relief_case_create, relief_case_view_record, relief_document_open, relief_document_upload
from .review import (
    county_pass_refusals,
    relief_case_check_materials,
    relief_case_county_decide,
    relief_case_missing,
    relief_case_present_documents,
    relief_case_resume,
    relief_notice_create,
    relief_objection_record,
    relief_objection_resolve,
    relief_verification_record,
)

__all__ = [
    "BUSINESS",
    "county_pass_refusals",
    "county_summary_create",
    "county_summary_submit",
    "relief_batch_create",
    "relief_batch_hand_over",
    "relief_case_check_materials",
    "relief_case_county_decide",
    "relief_case_create",
    "relief_case_missing",
    "relief_case_present_documents",
    "relief_case_province_decide",
    "relief_case_resume",
    "relief_case_transition",
    "relief_case_view_record",
    "relief_document_open",
    "relief_document_upload",
    "relief_notice_create",
    "relief_objection_record",
    "relief_objection_resolve",
    "relief_verification_record",
]
