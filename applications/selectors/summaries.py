"""Scoped reads of the county summaries (汇总表), public notices (公示) and the year's progress charts.

Scope through loanportal.scope: a county its own, a city its counties', the province everything;
universities and the bank see none of these.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from loanportal.models import Organisation
from loanportal.roles import OrgKind
from loanportal.rules import place_name
from loanportal.scope import scope_q

from .. import states
from ..models import CountySummary, NoticeObjection, PublicNotice
from ..rules import summaries as rules


def summaries_visible_to(*, user) -> QuerySet[CountySummary]:
    return CountySummary.objects.filter(scope_q(user, county="county")).select_related(
        "county", "county__parent", "notice", "generated_by", "submitted_by", "forwarded_by"
    )


def summary_get(*, user, pk) -> CountySummary:
    return get_object_or_404(summaries_visible_to(user=user), pk=pk)


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    reason_required: bool = False


def summary_actions(*, user, summary: CountySummary) -> list[Action]:
    """What the user may do with the summary now — the same refusal rules the service raises."""
    actions = []
    for code in rules.SUMMARY_ACTIONS:
        refused = rules.summary_refusal(
            role=getattr(user, "role", None),
            organisation_id=getattr(user, "organisation_id", None),
            county_id=summary.county_id,
            city_id=summary.county.parent_id,
            status=summary.status,
            action=code,
        ) or rules.summary_state_refusal(status=summary.status, action=code)
        if not refused:
            actions.append(Action(code, rules.SUMMARY_ACTION_LABELS[code], code == "return"))
    return actions


def counties_in_scope(*, user) -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(kind=OrgKind.COUNTY, is_active=True)
        .filter(scope_q(user, organisation=""))
        .select_related("parent")
        .order_by("parent__code", "code")
    )


@dataclass
class CityRow:
    city: Organisation | None
    counties: list = field(default_factory=list)  # [(county, summary or None)]

    @property
    def forwarded(self) -> int:
        return sum(1 for _, s in self.counties if s is not None and s.status == states.SUMMARY_FORWARDED)

    @property
    def missing(self) -> list:
        return [c for c, s in self.counties if s is None or s.status != states.SUMMARY_FORWARDED]

    @property
    def complete(self) -> bool:
        return bool(self.counties) and not self.missing


def summary_overview(*, user, year: int) -> list[CityRow]:
    """Every county in scope with its summary (or None), grouped by city: the province sees which cities
    and counties have not submitted (not yet forwarded to the province)."""
    counties = list(counties_in_scope(user=user))
    by_county = {
        s.county_id: s for s in summaries_visible_to(user=user).filter(year=year, county__in=counties)
    }
    rows: dict = {}
    for county in counties:
        row = rows.setdefault(county.parent_id, CityRow(city=county.parent))
        row.counties.append((county, by_county.get(county.pk)))
    return list(rows.values())


def summaries_missing(*, user, year: int) -> dict:
    """{"cities": [...], "counties": [...]} not yet at the province (for the province's view and the API)."""
    overview = summary_overview(user=user, year=year)
    return {
        "cities": [row.city for row in overview if not row.complete and row.city is not None],
        "counties": [county for row in overview for county in row.missing],
    }


def city_totals(row: CityRow) -> dict:
    total = {"count": 0, "tuition": 0, "accommodation": 0, "total": 0}
    for _, summary in row.counties:
        if summary is None:
            continue
        for key in total:
            total[key] += int(summary.total.get(key, 0))
    return total


# --- public notices ------------------------------------------------------------------------------------------


def notices_visible_to(*, user) -> QuerySet[PublicNotice]:
    return (
        PublicNotice.objects.filter(scope_q(user, county="county"))
        .select_related("county", "published_by")
        .annotate(people=Count("entries", distinct=True))
    )


def notice_get(*, user, pk) -> PublicNotice:
    return get_object_or_404(notices_visible_to(user=user), pk=pk)


def notice_phase(notice: PublicNotice, on: datetime.date | None = None) -> str:
    return rules.notice_phase(
        published=True, start=notice.starts_on, end=notice.ends_on, on=on or timezone.localdate()
    )


def notice_entries_shown(*, notice: PublicNotice, on: datetime.date | None = None):
    """The lines shown on the notice — only while it runs (taken down when it ends, computed from the
    dates: no job has to run for it to disappear). Only the notice's fields are read."""
    if notice_phase(notice, on) != "showing":
        return notice.entries.none().values_list(*[f for f, _ in rules.NOTICE_FIELDS])
    return notice.entries.order_by("pk").values_list(*[f for f, _ in rules.NOTICE_FIELDS])


def notice_objections(*, notice: PublicNotice) -> QuerySet[NoticeObjection]:
    return notice.objections.select_related("entry", "recorded_by", "handled_by").order_by(
        "received_on", "pk"
    )


def objection_get(*, user, pk) -> NoticeObjection:
    return get_object_or_404(
        NoticeObjection.objects.filter(notice__in=notices_visible_to(user=user)).select_related("notice"),
        pk=pk,
    )


# --- progress of the year (dashboards) ---------------------------------------------------------------------

STAGES = (
    states.ACCEPTED,
    states.CONTRACT_SIGNED,
    states.RECEIPT_ENTERED,
    states.RECEIPT_CONFIRMED,
    states.BANK_APPROVED,
    states.DISBURSED,
    states.FEE_CERTIFIED,
    states.ARCHIVED,
)
# Receipts entered = everything from receipt_entered on; confirmed = from receipt_confirmed on.
AFTER_RECEIPT_ENTERED = frozenset(STAGES[2:]) | {states.BANK_DECLINED}
AFTER_RECEIPT_CONFIRMED = frozenset(STAGES[3:]) | {states.BANK_DECLINED}
DISBURSED_OR_LATER = frozenset({states.DISBURSED, states.FEE_CERTIFIED, states.ARCHIVED})


def progress_figures(*, user, year: int) -> dict:
    """The year's figures in the user's scope, per stage and per unit below (a city's counties, the
    province's cities): applications per stage, amounts, receipts entered/confirmed, disbursed."""
    from .lifecycle import applications_visible_to

    qs = applications_visible_to(user=user).filter(year=year).order_by()
    amount = Sum("tuition_amount") + Sum("accommodation_amount")
    per_status = {
        status: (n, int(total or 0))
        for status, n, total in qs.values_list("status").annotate(n=Count("pk"), total=amount)
    }
    stages = [
        {"code": code, "label": states.APPLICATION_LABELS[code], "count": per_status.get(code, (0, 0))[0]}
        for code in STAGES
    ]

    def count_in(codes):
        return sum(per_status.get(code, (0, 0))[0] for code in codes)

    def amount_in(codes):
        return sum(per_status.get(code, (0, 0))[1] for code in codes)

    live = frozenset(STAGES)
    # the bank's disbursement (to the university's account + remainder to the student) where recorded,
    # else the signed amount of a loan marked disbursed
    paid = Case(
        When(
            Q(disbursed_to_university__isnull=False) | Q(disbursed_to_student__isnull=False),
            then=Coalesce(F("disbursed_to_university"), 0) + Coalesce(F("disbursed_to_student"), 0),
        ),
        default=F("tuition_amount") + F("accommodation_amount"),
    )
    disbursed_amount = qs.filter(status__in=DISBURSED_OR_LATER).aggregate(total=Sum(paid))["total"] or 0
    amounts = [
        {"label": "在办申请金额", "value": amount_in(live)},
        {"label": "已签合同金额", "value": amount_in(states.SUMMARY_COUNTED)},
        {"label": "已放款金额", "value": int(disbursed_amount)},
    ]
    signed = count_in(states.SUMMARY_COUNTED | {states.BANK_DECLINED})
    receipts = [
        {"label": "应录入回执", "value": signed},
        {"label": "回执已录入", "value": count_in(AFTER_RECEIPT_ENTERED)},
        {"label": "回执已确认", "value": count_in(AFTER_RECEIPT_CONFIRMED)},
    ]
    disbursed = [
        {"label": "已签合同", "value": count_in(states.SUMMARY_COUNTED)},
        {"label": "银行已审批", "value": count_in(frozenset(STAGES[4:]))},
        {"label": "已放款", "value": count_in(DISBURSED_OR_LATER)},
    ]
    # one level down: a city's counties, the province's cities
    kind = getattr(getattr(user, "organisation", None), "kind", None)
    group = {"province": "county__parent", "city": "county"}.get(kind)
    units = []
    if group:
        rows = (
            qs.values_list(f"{group}__name")
            .annotate(
                n=Count("pk", filter=Q(status__in=live)),
                signed=Count("pk", filter=Q(status__in=states.SUMMARY_COUNTED)),
                confirmed=Count("pk", filter=Q(status__in=AFTER_RECEIPT_CONFIRMED)),
                disbursed=Count("pk", filter=Q(status__in=DISBURSED_OR_LATER)),
            )
            .order_by(f"{group}__code")
        )
        units = [
            {"name": place_name(name), "live": n, "signed": s, "confirmed": c, "disbursed": d}
            for name, n, s, c, d in rows
        ]
    return {
        "stages": stages,
        "amounts": amounts,
        "receipts": receipts,
        "disbursed": disbursed,
        "units": units,
        "unit_label": {"province": "市", "city": "县"}.get(kind, ""),
    }
