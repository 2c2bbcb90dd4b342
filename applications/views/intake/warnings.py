"""受理预警 (notice 四(十一)): warning table, county charts, weekly figures."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deadlines.services import current_loan_year
from loanportal.roles import COUNTY_ROLES, OrgKind

from ...models import QueueLevel
from ...rules import intake as rules
from ...selectors import intake as selectors
from ...services import queue_warnings
from .common import _require_reader, _today

# --- 受理预警 -------------------------------------------------------------------------------------


def intake_warnings(request):
    """County: its own warning page. City/province: all counties in scope with level, figures, plan link."""
    user = request.user
    _require_reader(user)
    if user.organisation.kind == OrgKind.COUNTY:
        return redirect("intake-warning-county", user.organisation_id)
    today = _today()
    counties = list(selectors.intake_counties_visible_to(user=user))
    snapshots = selectors.latest_snapshots(user=user, on=today)
    plans = {
        p.county_id: p for p in selectors.intake_plans_visible_to(user=user, year=current_loan_year(today))
    }
    rows = []
    for county in counties:
        plan = plans.get(county.pk)
        expected = (
            plan.expected_applicants if plan and plan.expected_applicants else county.expected_applicants
        )
        rows.append(
            {
                "county": county,
                "snapshot": snapshots.get(county.pk),
                "expected": expected,
                "watched": rules.watched_by_city(expected),
                "has_plan": plan is not None,
            }
        )
    order = {QueueLevel.RED: 0, QueueLevel.AMBER: 1, QueueLevel.GREEN: 2}
    rows.sort(key=lambda r: (order.get(r["snapshot"].level, 3) if r["snapshot"] else 3, r["county"].code))
    return render(
        request,
        "applications/intake/warnings.html",
        {"rows": rows, "today": today, "threshold": rules.CITY_WATCH_THRESHOLD},
    )


def intake_warning_county(request, pk):
    """One county's warning page: latest figures, reasons, charts (served per day, capacity vs booked), weekly table."""
    user = request.user
    _require_reader(user)
    county = selectors.intake_county_get(user=user, pk=pk)
    today = _today()
    snapshot = selectors.queue_snapshots_visible_to(user=user).filter(county=county, date=today).first()
    # One series (two queries) for the weekly table's window, which holds both charts' days
    weeks_start, weeks_end = rules.warning_weekly_window(today)
    series = selectors.daily_series(county=county, start=weeks_start, end=weeks_end)
    history, ahead = (
        [day for day in series if start <= day["date"] <= end]
        for start, end in (rules.warning_history_window(today), rules.warning_ahead_window(today))
    )
    weeks = _weekly(series)
    figures = queue_warnings.queue_figures(county=county, on=today)
    chart = {
        "history": {
            "labels": [f"{d['date'].month}月{d['date'].day}日" for d in history],
            "served": [d["served"] for d in history],
            "no_show": [d["no_show"] for d in history],
        },
        "ahead": {
            "labels": [f"{d['date'].month}月{d['date'].day}日" for d in ahead],
            "capacity": [d["capacity"] for d in ahead],
            "booked": [d["booked"] for d in ahead],
        },
    }
    return render(
        request,
        "applications/intake/warning_county.html",
        {
            "county": county,
            "snapshot": snapshot,
            "figures": figures,
            "weeks": weeks,
            "chart": chart,
            "can_refresh": user.role in COUNTY_ROLES or user.organisation.kind != OrgKind.COUNTY,
            "today": today,
            "history_days": rules.WARNING_HISTORY_DAYS,
            "ahead_days": rules.WARNING_AHEAD_DAYS,
        },
    )


def _weekly(series):
    weeks = {}
    for day in series:
        start = rules.iso_week_start(day["date"])
        row = weeks.setdefault(
            start,
            {
                "start": start,
                "end": start + datetime.timedelta(days=6),
                "capacity": 0,
                "booked": 0,
                "served": 0,
                "no_show": 0,
                "walk_in": 0,
            },
        )
        for key in ("capacity", "booked", "served", "no_show", "walk_in"):
            row[key] += day[key]
    rows = [w for w in weeks.values() if w["capacity"] or w["booked"] or w["served"]]
    for row in rows:
        row["share"] = round(row["booked"] * 100 / row["capacity"]) if row["capacity"] else None
    return sorted(rows, key=lambda w: w["start"], reverse=True)


@require_POST
def intake_snapshot_refresh(request, pk):
    _require_reader(request.user)
    county = selectors.intake_county_get(user=request.user, pk=pk)
    snapshot = queue_warnings.queue_snapshot_compute(county=county, on=_today(), actor=request.user)
    messages.success(request, _refresh_message(county, snapshot))
    return redirect("intake-warning-county", county.pk)


LEVEL_SENTENCES = {
    "green": "排队正常，无需预警",
    "amber": "黄色关注",
    "red": "红色预警",
}


def _refresh_message(county, snapshot) -> str:
    """A sentence, not a bare label: 「榆中县…今日受理预警已重新计算：红色预警（原因：…）」."""
    text = f"{county.name}今日受理预警已重新计算：{LEVEL_SENTENCES.get(snapshot.level, snapshot.get_level_display())}"
    if snapshot.reasons:
        text += "（" + "；".join(snapshot.reasons) + "）"
    return text
