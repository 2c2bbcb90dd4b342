"""County summary (附件4), provincial re-review (第二十一条（一）) and the hand-over batch (附件5)."""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role
from loanportal.scope import require_write_scope
from loanportal.updates import model_update

from .. import states
from ..models import (
    ReliefBatch,
    ReliefCase,
    ReliefCountySummary,
)
from .common import _today, relief_case_transition

# --- county summary (附件4, 第二十条（四）) ------------------------------------------------------------------


@transaction.atomic
def county_summary_create(*, actor, county, year: int | None = None) -> ReliefCountySummary:
    """Bundle the county's passed cases not yet in a summary into a new draft 附件4."""
    require_write_scope(actor, county=county, business="还款救助汇总")
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError("只有县级资助中心可以编制汇总表")
    Organisation.objects.select_for_update().get(pk=county.pk)
    cases = ReliefCase.objects.filter(county=county, status=states.COUNTY_PASSED, county_summary__isnull=True)
    if not cases.exists():
        raise ConflictError("没有县级初审通过、尚未汇总的案件")
    year = year or _today().year
    number = (
        ReliefCountySummary.objects.filter(county=county, year=year).aggregate(m=Max("number"))["m"] or 0
    ) + 1
    summary = ReliefCountySummary(county=county, year=year, number=number, created_by=actor)
    summary.full_clean()
    summary.save()
    count = cases.update(county_summary=summary)
    audit_record(
        actor=actor, action="relief_summary.create", obj=summary, new={"cases": count}, organisation=county
    )
    return summary


@transaction.atomic
def county_summary_submit(*, actor, summary: ReliefCountySummary) -> ReliefCountySummary:
    """The county manager submits 附件4 to the province; its cases become `county_submitted`."""
    require_write_scope(actor, county=summary.county, business="还款救助汇总上报")
    if getattr(actor, "role", None) != Role.COUNTY_MANAGER:
        raise PermissionDeniedError("只有县级负责人可以上报汇总表")
    locked = ReliefCountySummary.objects.select_for_update().get(pk=summary.pk)
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
