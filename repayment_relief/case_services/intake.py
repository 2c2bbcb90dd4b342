"""Intake (第十九条) and documents (uploads, audited views)."""

import datetime

from django.db import transaction

from loanportal.audit import audit_record
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES
from loanportal.rules import id_number_error, normalise_id_number
from loanportal.scope import require_write_scope

from .. import categories, documents
from ..models import (
    ApplicantKind,
    LoanContract,
    ReliefCase,
    ReliefCategory,
    ReliefDocument,
)
from .common import BUSINESS, _require_county_work, _require_editable, _today

# --- intake (第十九条) ----------------------------------------------------------------------------------


def _next_case_no(county: Organisation, year: int) -> str:
    Organisation.objects.select_for_update().get(pk=county.pk)  # serialises numbering per county
    prefix = f"JZ{year}{county.code}"
    count = ReliefCase.objects.filter(county=county, case_no__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


@transaction.atomic
def relief_case_create(
    *,
    actor,
    borrower,
    contracts: list[LoanContract],
    category: str,
    applicant_kind: str,
    applicant_name: str,
    applicant_id_number: str,
    applicant_phone: str = "",
    applicant_relationship: str = "",
    category_detail: str = "",
    facts: str = "",
    event_date: datetime.date | None = None,
    grace_period_ends_on: datetime.date | None = None,
    county_found: bool = False,
    applied_on: datetime.date | None = None,
) -> ReliefCase:
    """开立救助案件 (第十九条): county staff of the borrower's household county open a case for the
    borrower's contracts; `county_found` marks a case the county found itself (第十九条（三）)."""
    county = borrower.household_county
    require_write_scope(actor, county=county, business=BUSINESS)
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError("只有县级资助中心可以受理还款救助申请")
    applied_on = applied_on or _today()
    if category not in ReliefCategory.values:
        raise DomainError(f"救助类别应为 {'、'.join(ReliefCategory.values)} 之一", field="category")
    if applicant_kind not in ApplicantKind.values:
        raise DomainError("请选择申请人类型（本人、共同借款人或代理人）", field="applicant_kind")
    refusal = categories.application_refusal(
        category=category,
        category_detail=category_detail,
        event_date=event_date,
        grace_period_ends_on=grace_period_ends_on,
        applied_on=applied_on,
    )
    if refusal:
        raise DomainError(refusal[1], field=refusal[0])
    applicant_id_number = normalise_id_number(applicant_id_number or "")
    error = id_number_error(applicant_id_number, label="申请人身份证号")
    if error:
        raise DomainError(error, field="applicant_id_number")
    if applicant_kind == ApplicantKind.BORROWER and applicant_id_number != borrower.id_number:
        raise DomainError("申请人为借款学生本人时，身份证号应与借款学生一致", field="applicant_id_number")
    if applicant_kind != ApplicantKind.BORROWER and not applicant_relationship.strip():
        raise DomainError("请填写申请人与借款学生的关系（第十九条（二））", field="applicant_relationship")
    if not contracts:
        raise DomainError("请选择至少一份借款合同", field="contracts")
    for contract in contracts:
        if contract.borrower_id != borrower.pk:
            raise DomainError(f"合同{contract.contract_no}不是该借款学生的合同", field="contracts")
    if category != "2":
        category_detail = ""
    case = ReliefCase(
        case_no=_next_case_no(county, applied_on.year),
        borrower=borrower,
        county=county,
        year=applied_on.year,
        category=category,
        category_detail=category_detail,
        facts=facts.strip(),
        event_date=event_date,
        grace_period_ends_on=grace_period_ends_on,
        applicant_kind=applicant_kind,
        applicant_name=applicant_name.strip(),
        applicant_id_number=applicant_id_number,
        applicant_phone=applicant_phone.strip(),
        applicant_relationship=applicant_relationship.strip(),
        county_found=county_found,
        created_by=actor,
        missing_documents=categories.required_documents(
            category=category, category_detail=category_detail, applicant_kind=applicant_kind
        ),
    )
    case.full_clean(exclude=["contracts"])
    case.save()
    case.contracts.set(contracts)
    audit_record(
        actor=actor,
        action="relief_case.create",
        obj=case,
        new={
            "category": category,
            "applicant_kind": applicant_kind,
            "contracts": [c.contract_no for c in contracts],
            "county_found": county_found,
        },
        organisation=county,
    )
    return case


# --- documents ----------------------------------------------------------------------------------------------


def relief_document_upload(*, actor, case: ReliefCase, kind: str, upload) -> ReliefDocument:
    """上传救助要件: PDF/JPEG/PNG by content, size-limited, stored outside the web root (documents.py)."""
    _require_county_work(actor, case, business="还款救助材料上传")
    _require_editable(case)
    if kind not in categories.DOCUMENT_LABELS:
        raise DomainError("请选择材料类型", field="kind")
    checked = documents.document_check(upload)
    storage_name = documents.document_store(checked)
    try:
        with transaction.atomic():
            document = ReliefDocument(
                case=case,
                kind=kind,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=len(checked.data),
                sha256=checked.sha256,
                storage_name=storage_name,
                uploaded_by=actor,
            )
            document.full_clean()
            document.save()
            audit_record(
                actor=actor,
                action="relief_document.upload",
                obj=case,
                new={"kind": kind, "size": document.size, "sha256": checked.sha256},
                organisation=case.county,
            )
    except Exception:
        documents.document_path(storage_name).unlink(missing_ok=True)
        raise
    return document


def relief_document_open(*, actor, document: ReliefDocument, purpose: str = "view"):
    """The path of an in-scope document for the download view; every view is audited (第二十七条).
    The caller found `document` through the scoped selector (out of scope → 404 before this)."""
    path = documents.document_path(document.storage_name)
    if not path.exists():
        raise DomainError("文件已不存在，请重新上传")
    audit_record(
        actor=actor,
        action="relief_document.view",
        obj=document.case,
        new={"document": document.pk, "kind": document.kind, "purpose": purpose},
        organisation=document.case.county,
    )
    return path


def relief_case_view_record(*, actor, case: ReliefCase, what: str) -> None:
    """查阅记录 of a printed form or notice with personal data (第二十七条)."""
    audit_record(
        actor=actor, action="relief_case.view", obj=case, new={"what": what}, organisation=case.county
    )
