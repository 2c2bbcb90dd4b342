"""Writes of relief cases (还款救助案件): intake (第十九条), documents, the county initial review (第二十条),
the county summary (附件4), the province's re-review (第二十一条（一）) and the hand-over batch (附件5).

Keyword-only, validated, audited; every status change goes through `relief_case_transition` (the one
transition service: states.TRANSITIONS, row locked, audit row in the same transaction). Follow-up
(credit, fraud, archives, information officer) is in case_followup.py.
"""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role
from loanportal.rules import id_number_error, normalise_id_number
from loanportal.scope import require_write_scope
from loanportal.transitions import apply_transition
from loanportal.updates import model_update

from . import categories, documents, states
from .models import (
    ApplicantKind,
    CountySummary,
    LoanContract,
    ReliefBatch,
    ReliefCase,
    ReliefCaseStatus,
    ReliefCategory,
    ReliefDocument,
    ReliefObjection,
    ReliefPublicNotice,
    ReliefVerification,
    VerificationMethod,
)

BUSINESS = "还款救助"


def _today() -> datetime.date:
    return timezone.localdate()


def relief_case_transition(*, case: ReliefCase, to: str, actor, reason: str = "", extra: dict | None = None):
    """The one state change of a relief case (states.TRANSITIONS; 409 for a move the map refuses)."""
    return apply_transition(
        instance=case,
        to=to,
        actor=actor,
        allowed=states.TRANSITIONS,
        reason=reason,
        reason_required_for=states.REASON_REQUIRED,
        labels=ReliefCaseStatus,
        organisation=case.county,
        extra=extra,
        action_prefix="relief_case",
    )


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


def _require_county_work(actor, case: ReliefCase, *, business: str = BUSINESS) -> None:
    require_write_scope(actor, county=case.county, business=business)
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError(f"只有县级资助中心可以办理{business}")


def _require_editable(case: ReliefCase) -> None:
    if case.status not in states.EDITABLE:
        raise ConflictError(f"案件状态为“{case.get_status_display()}”，不能再修改材料或初审记录")


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


# --- county initial review (第二十条) ---------------------------------------------------------------------


def relief_case_present_documents(case: ReliefCase) -> set[str]:
    return set(case.documents.values_list("kind", flat=True))


def relief_case_missing(case: ReliefCase) -> list[str]:
    required = categories.required_documents(
        category=case.category, category_detail=case.category_detail, applicant_kind=case.applicant_kind
    )
    return categories.missing_documents(required, relief_case_present_documents(case))


def relief_case_check_materials(*, actor, case: ReliefCase) -> ReliefCase:
    """材料审查 (第二十条（一）): missing documents → `materials_incomplete` with the list (the 补正 notice);
    complete → `county_review`."""
    _require_county_work(actor, case)
    missing = relief_case_missing(case)
    to = states.MATERIALS_INCOMPLETE if missing else states.COUNTY_REVIEW
    reason = "需补齐：" + "、".join(categories.DOCUMENT_LABELS[k] for k in missing) if missing else ""
    return relief_case_transition(
        case=case, to=to, actor=actor, reason=reason, extra={"missing_documents": missing}
    )


def relief_verification_record(
    *,
    actor,
    case: ReliefCase,
    method: str,
    checked_by: str,
    checked_on: datetime.date,
    findings: str,
    bank_payment_told: bool,
) -> ReliefVerification:
    """初审核实记录 (第二十条（一）（三）): field visit / household survey / phone, by whom, when, findings,
    and that the applicant was told the money goes to the bank, never to them."""
    _require_county_work(actor, case)
    _require_editable(case)
    if method not in VerificationMethod.values:
        raise DomainError("请选择核实方式（实地走访、入户调查或电话访问）", field="method")
    if checked_on > _today():
        raise DomainError("核实日期不能晚于今天", field="checked_on")
    with transaction.atomic():
        record = ReliefVerification(
            case=case,
            method=method,
            checked_by=checked_by.strip(),
            checked_on=checked_on,
            findings=findings.strip(),
            bank_payment_told=bank_payment_told,
            recorded_by=actor,
        )
        record.full_clean()
        record.save()
        if bank_payment_told and not case.bank_payment_told:
            locked = ReliefCase.objects.select_for_update().get(pk=case.pk)
            model_update(
                instance=locked,
                fields=["bank_payment_told"],
                data={"bank_payment_told": True},
                actor=actor,
                action="relief_case.bank_payment_told",
                organisation=case.county,
            )
            case.bank_payment_told = True
        audit_record(
            actor=actor,
            action="relief_verification.create",
            obj=case,
            new={"method": method, "checked_on": checked_on, "bank_payment_told": bank_payment_told},
            organisation=case.county,
        )
    return record


def relief_notice_create(
    *, actor, case: ReliefCase, starts_on: datetime.date, ends_on: datetime.date, place: str, content: str
) -> ReliefPublicNotice:
    """公示 (附件3, 第二十条（三）): optional; at least 5 working days."""
    _require_county_work(actor, case)
    _require_editable(case)
    days = categories.working_days(starts_on, ends_on)
    if days < categories.PUBLIC_NOTICE_MIN_WORKING_DAYS:
        raise DomainError(
            f"公示期不少于 {categories.PUBLIC_NOTICE_MIN_WORKING_DAYS} 个工作日（{starts_on} 至 {ends_on} 仅 {days} 个）",
            field="ends_on",
        )
    refusal = categories.notice_content_refusal(
        content,
        private=[
            case.borrower.id_number,
            case.applicant_id_number,
            case.applicant_phone,
            case.borrower.phone,
        ],
    )
    if refusal:
        raise DomainError(refusal, field="content")
    if ReliefPublicNotice.objects.filter(case=case).exists():
        raise ConflictError("该案件已登记公示")
    with transaction.atomic():
        notice = ReliefPublicNotice(
            case=case,
            starts_on=starts_on,
            ends_on=ends_on,
            place=place.strip(),
            content=content.strip(),
            created_by=actor,
        )
        notice.full_clean()
        notice.save()
        audit_record(
            actor=actor,
            action="relief_notice.create",
            obj=case,
            new={"starts_on": starts_on, "ends_on": ends_on, "working_days": days},
            organisation=case.county,
        )
    return notice


def relief_objection_record(*, actor, notice: ReliefPublicNotice, received_on: datetime.date, content: str):
    case = notice.case
    _require_county_work(actor, case)
    _require_editable(case)
    with transaction.atomic():
        objection = ReliefObjection(notice=notice, received_on=received_on, content=content.strip())
        objection.full_clean()
        objection.save()
        audit_record(
            actor=actor,
            action="relief_objection.create",
            obj=case,
            new={"received_on": received_on},
            organisation=case.county,
        )
    return objection


def relief_objection_resolve(*, actor, objection: ReliefObjection, resolution: str) -> ReliefObjection:
    case = objection.notice.case
    _require_county_work(actor, case)
    if not resolution.strip():
        raise DomainError("请填写异议处理结果", field="resolution")
    with transaction.atomic():
        locked = ReliefObjection.objects.select_for_update().get(pk=objection.pk)
        if locked.resolved_at:
            raise ConflictError("该异议已处理")
        model_update(
            instance=locked,
            fields=["resolution", "resolved_at", "resolved_by"],
            data={"resolution": resolution.strip(), "resolved_at": timezone.now(), "resolved_by": actor},
            actor=actor,
            action="relief_objection.resolve",
            organisation=case.county,
        )
    return locked


def county_pass_refusals(case: ReliefCase, *, on: datetime.date | None = None) -> list[str]:
    """Why the county may not pass the case yet (第二十条): documents, verification with the bank-payment
    notice, and a 公示 that has ended without open objections."""
    on = on or _today()
    refusals = []
    missing = relief_case_missing(case)
    if missing:
        refusals.append("材料不全：" + "、".join(categories.DOCUMENT_LABELS[k] for k in missing))
    verifications = list(case.verifications.all())
    if not verifications:
        refusals.append("尚无初审核实记录（实地走访、入户调查或电话访问）")
    elif not any(v.bank_payment_told for v in verifications):
        refusals.append("核实记录未记载已告知申请人“救助资金直接支付给国开行，不发放给本人”")
    notice = ReliefPublicNotice.objects.filter(case=case).first()
    if notice is not None:
        if notice.ends_on >= on:
            refusals.append(f"公示期至 {notice.ends_on} 尚未结束")
        if notice.objections.filter(resolved_at__isnull=True).exists():
            refusals.append("公示期异议尚未处理完毕")
    return refusals


def relief_case_county_decide(*, actor, case: ReliefCase, decision: str, reason: str = "") -> ReliefCase:
    """县级负责人审核 (第二十条): pass or reject with a reason; never the clerk who entered the case."""
    require_write_scope(actor, county=case.county, business=BUSINESS)
    if getattr(actor, "role", None) != Role.COUNTY_MANAGER:
        raise PermissionDeniedError("只有县级负责人可以审核还款救助案件")
    if case.created_by_id == actor.pk:
        raise PermissionDeniedError("录入案件的经办人不能审核自己录入的案件")
    to = states.COUNTY_DECISIONS.get(decision)
    if to is None:
        raise DomainError("审核结论应为通过（pass）或不通过（reject）", field="decision")
    if to == states.COUNTY_PASSED and case.status == states.COUNTY_REVIEW:
        refusals = county_pass_refusals(case)
        if refusals:
            raise DomainError("不能通过：" + "；".join(refusals))
    return relief_case_transition(
        case=case,
        to=to,
        actor=actor,
        reason=reason,
        extra={
            "county_decided_by": actor,
            "county_decided_at": timezone.now(),
            "county_reason": reason.strip(),
        },
    )


def relief_case_resume(*, actor, case: ReliefCase) -> ReliefCase:
    """A case the province returned comes back into the county's work: the materials are checked again."""
    if case.status != states.RETURNED:
        raise ConflictError("只有省级退回的案件需要重新办理")
    return relief_case_check_materials(actor=actor, case=case)


# --- county summary (附件4, 第二十条（四）) ------------------------------------------------------------------


@transaction.atomic
def county_summary_create(*, actor, county, year: int | None = None) -> CountySummary:
    """Bundle the county's passed cases not yet in a summary into a new draft 附件4."""
    require_write_scope(actor, county=county, business="还款救助汇总")
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError("只有县级资助中心可以编制汇总表")
    Organisation.objects.select_for_update().get(pk=county.pk)
    cases = ReliefCase.objects.filter(county=county, status=states.COUNTY_PASSED, county_summary__isnull=True)
    if not cases.exists():
        raise ConflictError("没有县级初审通过、尚未汇总的案件")
    year = year or _today().year
    number = (CountySummary.objects.filter(county=county, year=year).aggregate(m=Max("number"))["m"] or 0) + 1
    summary = CountySummary(county=county, year=year, number=number, created_by=actor)
    summary.full_clean()
    summary.save()
    count = cases.update(county_summary=summary)
    audit_record(
        actor=actor, action="relief_summary.create", obj=summary, new={"cases": count}, organisation=county
    )
    return summary


@transaction.atomic
def county_summary_submit(*, actor, summary: CountySummary) -> CountySummary:
    """The county manager submits 附件4 to the province; its cases become `county_submitted`."""
    require_write_scope(actor, county=summary.county, business="还款救助汇总上报")
    if getattr(actor, "role", None) != Role.COUNTY_MANAGER:
        raise PermissionDeniedError("只有县级负责人可以上报汇总表")
    locked = CountySummary.objects.select_for_update().get(pk=summary.pk)
    if locked.status != states.SUMMARY_DRAFT:
        raise ConflictError("该汇总表已上报")
    cases = list(locked.cases.filter(status=states.COUNTY_PASSED).order_by("pk"))
    if not cases:
        raise ConflictError("汇总表中没有待上报的案件")
    for case in cases:
        relief_case_transition(case=case, to=states.COUNTY_SUBMITTED, actor=actor)
    model_update(
        instance=locked,
        fields=["status", "submitted_by", "submitted_at"],
        data={"status": states.SUMMARY_SUBMITTED, "submitted_by": actor, "submitted_at": timezone.now()},
        actor=actor,
        action="relief_summary.submit",
        organisation=locked.county,
    )
    return locked


# --- provincial re-review (第二十一条（一）) --------------------------------------------------------------


def relief_case_province_decide(*, actor, case: ReliefCase, decision: str, reason: str = "") -> ReliefCase:
    """省级复审: pass / reject / return to the county with a reason — only after the county's decision and
    submission (states.TRANSITIONS: only `county_submitted` leads to a province decision)."""
    if getattr(actor, "role", None) not in PROVINCE_ROLES:
        raise PermissionDeniedError("只有省资助中心可以复审还款救助案件")
    to = states.PROVINCE_DECISIONS.get(decision)
    if to is None:
        raise DomainError("复审结论应为通过（pass）、不通过（reject）或退回（return）", field="decision")
    if case.status != states.COUNTY_SUBMITTED and case.status in states.COUNTY_QUEUE | {states.COUNTY_PASSED}:
        raise ConflictError("县级尚未完成初审并上报，省级不能复审")
    extra = {
        "province_decided_by": actor,
        "province_decided_at": timezone.now(),
        "province_reason": reason.strip(),
    }
    if to == states.RETURNED:
        extra |= {"return_count": case.return_count + 1, "county_summary": None}
    return relief_case_transition(case=case, to=to, actor=actor, reason=reason, extra=extra)


# --- hand-over batch (附件5, 第二十一条（一）（二）) ------------------------------------------------------------


@transaction.atomic
def relief_batch_create(*, actor, year: int | None = None) -> ReliefBatch:
    """The province compiles 附件5 from its passed cases not yet in a batch."""
    if getattr(actor, "role", None) not in PROVINCE_ROLES:
        raise PermissionDeniedError("只有省资助中心可以编制移交批次")
    year = year or _today().year
    cases = ReliefCase.objects.select_for_update().filter(status=states.PROVINCE_PASSED, batch__isnull=True)
    if not cases.exists():
        raise ConflictError("没有省级复审通过、尚未移交的案件")
    number = (ReliefBatch.objects.filter(year=year).aggregate(m=Max("number"))["m"] or 0) + 1
    batch = ReliefBatch(year=year, number=number, created_by=actor)
    batch.full_clean()
    batch.save()
    count = ReliefCase.objects.filter(pk__in=[c.pk for c in cases]).update(batch=batch)
    audit_record(actor=actor, action="relief_batch.create", obj=batch, new={"cases": count})
    return batch


@transaction.atomic
def relief_batch_hand_over(*, actor, batch: ReliefBatch, received_on: datetime.date) -> ReliefBatch:
    """移交银行: the day the bank received the materials; every case becomes `handed_over` and its amount
    cutoff is rules.amount_cutoff_date(received_on) (第二十一条（二）)."""
    if getattr(actor, "role", None) not in PROVINCE_ROLES:
        raise PermissionDeniedError("只有省资助中心可以登记移交银行")
    if received_on > _today():
        raise DomainError("银行收到材料日期不能晚于今天", field="received_on")
    locked = ReliefBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != states.BATCH_DRAFT:
        raise ConflictError("该批次已移交银行")
    for case in locked.cases.order_by("pk"):
        relief_case_transition(case=case, to=states.HANDED_OVER, actor=actor)
    model_update(
        instance=locked,
        fields=["status", "handed_over_on", "handed_over_by", "handed_over_at"],
        data={
            "status": states.BATCH_HANDED_OVER,
            "handed_over_on": received_on,
            "handed_over_by": actor,
            "handed_over_at": timezone.now(),
        },
        actor=actor,
        action="relief_batch.hand_over",
    )
    return locked
