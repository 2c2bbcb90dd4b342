"""Writes of the county summary (汇总表 + 公示情况说明) and the public notice of borrowers (公示), notice 八.

- `public_notice_publish`, `notice_objection_record`, `notice_objection_handle`: the county's notice.
- `county_summary_generate`: figures and statement from the data (created, or regenerated while the table
  is with the county), frozen in the row.
- `summary_transition`: the one state change (submit / return / forward); `summaries_forward_all`: the
  city forwards all its counties' tables at once.
"""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deadlines.rules import format_date
from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.permissions import require_own_county
from loanportal.roles import OrgKind, Role
from loanportal.services import notification_send_to_organisation
from loanportal.transitions import apply_transition

from .. import states
from ..models import (
    Application,
    CountySummary,
    PublicNotice,
    SummaryStatus,
)
from ..rules import summaries as rules
from .notices import (  # noqa: F401  (the notice's writes, re-exported for the summary's callers)
    notice_objection_handle,
    notice_objection_record,
    public_notice_publish,
)

# --- the data the table is built from ----------------------------------------------------------------------


def summary_applications(*, county, year: int):
    """The county's first loans of the year that it reports (signed and live: states.SUMMARY_COUNTED)."""
    return Application.objects.filter(county=county, year=year, status__in=states.SUMMARY_COUNTED)


def summary_renewals(*, county, year: int):
    from renewals import states as renewal_states
    from renewals.models import RenewalDeclaration

    return RenewalDeclaration.objects.filter(county=county, year=year, status=renewal_states.APPROVED)


def summary_loans(*, county, year: int) -> list[rules.Loan]:
    loans = [
        rules.Loan(
            first=True,
            level=level,
            in_province=in_province,
            basis=basis or "",
            tuition=tuition,
            accommodation=accommodation,
        )
        for level, in_province, basis, tuition, accommodation in summary_applications(
            county=county, year=year
        ).values_list(
            "level",
            "university__in_province",
            "pre_application__basis",
            "tuition_amount",
            "accommodation_amount",
        )
    ]
    loans += [
        rules.Loan(
            first=False,
            level=level or "",
            in_province=in_province,
            basis="",
            tuition=tuition,
            accommodation=accommodation,
        )
        for level, in_province, tuition, accommodation in summary_renewals(
            county=county, year=year
        ).values_list("student__level", "university__in_province", "tuition_amount", "accommodation_amount")
    ]
    return loans


def notice_statement(notice: PublicNotice | None) -> dict:
    """The 公示情况说明 from the county's notice: period, place, people shown, objections and handling."""
    if notice is None:
        return {}
    objections = list(notice.objections.select_related("entry").order_by("received_on", "pk"))
    return {
        "starts_on": notice.starts_on.isoformat(),
        "ends_on": notice.ends_on.isoformat(),
        "working_days": rules.working_days(notice.starts_on, notice.ends_on),
        "place": notice.place,
        "people": notice.entries.count(),
        "objections": len(objections),
        "handled": sum(1 for o in objections if o.is_handled),
        "items": [
            {
                "received_on": o.received_on.isoformat(),
                "about": o.entry.name if o.entry_id else "",
                "content": o.content,
                "handling": o.handling,
            }
            for o in objections
        ],
    }


# --- the summary ----------------------------------------------------------------------------------------


def _figures(*, county, year: int) -> dict:
    return rules.summary_table(summary_loans(county=county, year=year))


@transaction.atomic
def county_summary_generate(*, actor, county: Organisation, year: int) -> CountySummary:
    """生成汇总表: counts and amounts by loan type, level, university location and basis, and the 公示情况说明,
    from the data; a new table, or the figures refreshed while the table is with the county (待报送 or
    退回). Audited with the totals before and after."""
    require_own_county(actor, county, business="申请汇总表", allow_system=True)
    if county.kind != OrgKind.COUNTY:
        raise DomainError("只有县级学生资助管理中心有申请汇总表")
    notice = PublicNotice.objects.filter(county=county, year=year).first()
    data = {
        "figures": _figures(county=county, year=year),
        "statement": notice_statement(notice),
        "notice": notice,
        "generated_at": timezone.now(),
        "generated_by": actor,
    }
    summary = CountySummary.objects.select_for_update().filter(county=county, year=year).first()
    if summary is None:
        summary = CountySummary(county=county, year=year, **data)
        summary.full_clean()
        summary.save()
        audit_record(
            actor=actor,
            action="summary.generate",
            obj=summary,
            new=_audit_total(summary),
            organisation=county,
        )
        return summary
    refusal = rules.summary_state_refusal(status=summary.status, action="regenerate")
    if refusal:
        raise ConflictError(refusal)
    old_total = _audit_total(summary)
    for name, value in data.items():
        setattr(summary, name, value)
    summary.full_clean()
    summary.save()
    audit_record(
        actor=actor,
        action="summary.regenerate",
        obj=summary,
        old=old_total,
        new=_audit_total(summary),
        organisation=county,
    )
    return summary


def _audit_total(summary: CountySummary) -> dict:
    total = summary.total
    return {"贷款人数": total.get("count", 0), "贷款金额": total.get("total", 0)}


def _check_actor(*, actor, summary: CountySummary, action: str) -> None:
    refusal = rules.summary_refusal(
        role=getattr(actor, "role", None),
        organisation_id=getattr(actor, "organisation_id", None),
        county_id=summary.county_id,
        city_id=summary.county.parent_id,
        status=summary.status,
        action=action,
    )
    if refusal:
        raise PermissionDeniedError(refusal)


def _submit_refusal(summary: CountySummary, *, today: datetime.date) -> str | None:
    """The 公示情况说明 needs a notice that has ended with every objection handled."""
    notice = summary.notice
    if notice is None:
        return "尚未发布贷款学生公示，不能报送（公示情况说明需要公示结果）"
    if today <= notice.ends_on:
        return f"公示期至{format_date(notice.ends_on)}结束，结束后才能报送"
    if notice.objections.filter(handled_at__isnull=True).exists():
        return "公示异议尚未全部处理，不能报送"
    return None


@transaction.atomic
def summary_transition(
    *, actor, summary: CountySummary, to: str, reason: str = "", today: datetime.date | None = None
) -> CountySummary:
    """The one state change of a county summary: submit (county manager), return with a reason or forward
    (the county's city manager). Row locked, move checked against states.SUMMARY_TRANSITIONS (the loser of
    a race gets a 409), audit row in the same transaction; the next organisation is notified."""
    action = next((code for code, target in rules.SUMMARY_ACTIONS.items() if target == to), None)
    if action is None:
        raise DomainError(f"未知的状态“{to}”")
    _check_actor(actor=actor, summary=summary, action=action)
    now = timezone.now()
    extra: dict = {}
    reason = (reason or "").strip()
    if to == states.SUMMARY_SUBMITTED:
        current = CountySummary.objects.select_for_update().get(pk=summary.pk)
        if to in states.SUMMARY_TRANSITIONS.get(current.status, ()):
            refusal = _submit_refusal(current, today=today or timezone.localdate())
            if refusal:
                raise DomainError(refusal)
        extra = {"submitted_at": now, "submitted_by": actor, "returned_reason": ""}
    elif to == states.SUMMARY_RETURNED:
        extra = {"returned_reason": reason[:500]}
    elif to == states.SUMMARY_FORWARDED:
        extra = {"forwarded_at": now, "forwarded_by": actor}
    moved = apply_transition(
        instance=summary,
        to=to,
        actor=actor,
        allowed=states.SUMMARY_TRANSITIONS,
        reason=reason,
        reason_required_for=states.SUMMARY_REASON_REQUIRED,
        labels=SummaryStatus,
        organisation=summary.county,
        extra=extra,
        action_prefix="summary",
    )
    _notify(moved, to=to, reason=reason)
    return moved


def _notify(summary: CountySummary, *, to: str, reason: str) -> None:
    url = reverse("summary-detail", args=[summary.pk])
    county = summary.county
    if to == states.SUMMARY_SUBMITTED and county.parent_id:
        notification_send_to_organisation(
            organisation=county.parent,
            roles=[Role.CITY_MANAGER],
            title=f"{county.name}已报送{summary.year}年度申请汇总表",
            url=url,
            category="summary",
            email=False,
        )
    elif to == states.SUMMARY_RETURNED:
        notification_send_to_organisation(
            organisation=county,
            roles=[Role.COUNTY_MANAGER, Role.COUNTY_STAFF],
            title=f"{summary.year}年度申请汇总表被市级退回",
            body=reason,
            url=url,
            category="summary",
            level="warning",
            email=False,
        )


def summary_act(*, actor, summary: CountySummary, action: str, reason: str = "") -> CountySummary:
    """The API's and the buttons' action names (submit, return, forward) → the transition."""
    to = rules.SUMMARY_ACTIONS.get(action)
    if not to:
        raise DomainError(f"未知的操作“{action}”")
    return summary_transition(actor=actor, summary=summary, to=to, reason=reason)


@transaction.atomic
def summaries_forward_all(*, actor, city: Organisation, year: int) -> tuple[list[CountySummary], list[str]]:
    """全部报送省中心: every submitted table of the city's counties is forwarded (each audited); returns them
    and the names of the counties still without a submitted table (the province sees those as missing)."""
    if getattr(actor, "role", None) != Role.CITY_MANAGER or actor.organisation_id != city.pk:
        raise PermissionDeniedError("只有本市负责人可以报送省中心")
    counties = list(
        Organisation.objects.filter(parent=city, kind=OrgKind.COUNTY, is_active=True).order_by("code")
    )
    summaries = {
        s.county_id: s
        for s in CountySummary.objects.filter(county__in=counties, year=year).select_related("county")
    }
    to_forward = [
        summaries[c.pk]
        for c in counties
        if c.pk in summaries and summaries[c.pk].status == states.SUMMARY_SUBMITTED
    ]
    waiting = [
        c.name
        for c in counties
        if summaries.get(c.pk) is None
        or summaries[c.pk].status not in (states.SUMMARY_SUBMITTED, states.SUMMARY_FORWARDED)
    ]
    if not to_forward:
        raise ConflictError(
            "没有待报送省中心的汇总表" + (f"（尚未报送：{'、'.join(waiting)}）" if waiting else "")
        )
    forwarded = [summary_transition(actor=actor, summary=s, to=states.SUMMARY_FORWARDED) for s in to_forward]
    return forwarded, waiting
