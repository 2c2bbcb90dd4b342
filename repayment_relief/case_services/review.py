"""County initial review (第二十条): materials, verification, 公示, the manager's decision."""

import datetime

from django.db import transaction
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.roles import Role
from loanportal.scope import require_write_scope
from loanportal.updates import model_update

from .. import categories, states
from ..models import (
    ReliefCase,
    ReliefObjection,
    ReliefPublicNotice,
    ReliefVerification,
    VerificationMethod,
)
from .common import BUSINESS, _require_county_work, _require_editable, _today, relief_case_transition

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
