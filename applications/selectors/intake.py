"""Scoped reads of county intake. Sites, plans, slots and appointments belong to a county: the county sees
its own, the city its counties (read-only), the province all. Other organisations see nothing."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from loanportal.roles import OrgKind
from loanportal.scope import org_kind, scope_q
from loanportal.selectors import counties_visible_to

from ..models import Appointment, IntakePlan, IntakeSite, IntakeWindow, QueueSnapshot, TimeSlot

INTAKE_ORG_KINDS = (OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE)


def county_q(user, field: str = "county") -> Q:
    """Rows owned by a county, limited to the user's part of the tree (county, city, province)."""
    return scope_q(user, county=field)


def intake_counties_visible_to(*, user):
    if org_kind(user) not in INTAKE_ORG_KINDS:
        return counties_visible_to(user=user).none()
    return counties_visible_to(user=user).order_by("code")


def intake_county_get(*, user, pk):
    return get_object_or_404(intake_counties_visible_to(user=user), pk=pk)


def intake_sites_visible_to(*, user) -> QuerySet[IntakeSite]:
    active_windows = IntakeWindow.objects.filter(is_active=True).order_by("number")
    return (
        IntakeSite.objects.filter(county_q(user))
        .select_related("county")
        .prefetch_related(Prefetch("windows", queryset=active_windows, to_attr="active_windows"))
        .order_by("county__code", "pk")
    )


def intake_site_get(*, user, pk) -> IntakeSite:
    return get_object_or_404(intake_sites_visible_to(user=user), pk=pk)


def intake_plan_for(*, county, year: int) -> IntakePlan | None:
    """The county's plan of the year (the caller has checked the county is in scope)."""
    return IntakePlan.objects.filter(county=county, year=year).first()


def time_slots_visible_to(*, user) -> QuerySet[TimeSlot]:
    return TimeSlot.objects.filter(county_q(user, "site__county")).select_related("site")


def free_slots_for(*, user, site, day: datetime.date) -> QuerySet[TimeSlot]:
    return time_slots_visible_to(user=user).filter(site=site, date__gte=day).order_by("date", "starts_at")


def appointments_visible_to(*, user) -> QuerySet[Appointment]:
    return Appointment.objects.filter(county_q(user)).select_related("site", "slot", "window", "county")


def appointment_get(*, user, pk) -> Appointment:
    return get_object_or_404(appointments_visible_to(user=user), pk=pk)


def site_day_queue(*, user, site, day: datetime.date) -> QuerySet[Appointment]:
    """The day's appointments at a site in queue order: called, waiting by number, then booked by slot."""
    return (
        appointments_visible_to(user=user)
        .filter(site=site, date=day)
        .order_by("queue_number", "slot__starts_at", "pk")
    )


def site_day_counts(*, site, day: datetime.date) -> dict:
    rows = Appointment.objects.filter(site=site, date=day).values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in rows}
    slots = TimeSlot.objects.filter(site=site, date=day).aggregate(c=Sum("capacity"), b=Sum("booked"))
    counts["capacity"] = slots["c"] or 0
    counts["taken"] = slots["b"] or 0
    return counts


def window_board(*, site, day: datetime.date) -> dict:
    """The window screen (叫号屏): who is called to each window now and the next few waiting numbers."""
    windows = list(site.windows.filter(is_active=True).order_by("number"))
    called = {
        a.window_id: a
        for a in Appointment.objects.filter(site=site, date=day, status="called").order_by("called_at")
    }
    waiting = Appointment.objects.filter(site=site, date=day, status="checked_in").order_by("queue_number")
    return {
        "windows": [(w, called.get(w.pk)) for w in windows],
        "waiting": list(waiting[:6]),
        "waiting_count": waiting.count(),
    }


def queue_snapshots_visible_to(*, user) -> QuerySet[QueueSnapshot]:
    return QueueSnapshot.objects.filter(county_q(user)).select_related("county")


def latest_snapshots(*, user, on: datetime.date) -> dict:
    """County pk → that day's snapshot, for the counties in the user's scope."""
    return {s.county_id: s for s in queue_snapshots_visible_to(user=user).filter(date=on)}


def daily_series(*, county, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per day from start to end: capacity and booked of the slots, served, walk-ins."""
    slots = {
        row["date"]: row
        for row in TimeSlot.objects.filter(site__county=county, date__range=(start, end))
        .values("date")
        .annotate(capacity=Sum("capacity"), booked=Sum("booked"))
    }
    appts = {
        row["date"]: row
        for row in Appointment.objects.filter(county=county, date__range=(start, end))
        .values("date")
        .annotate(
            served=Count("pk", filter=Q(status="served")),
            no_show=Count("pk", filter=Q(status="no_show")),
            walk_in=Count("pk", filter=Q(is_walk_in=True)),
        )
    }
    series = []
    day = start
    while day <= end:
        s, a = slots.get(day, {}), appts.get(day, {})
        series.append(
            {
                "date": day,
                "capacity": s.get("capacity") or 0,
                "booked": s.get("booked") or 0,
                "served": a.get("served", 0),
                "no_show": a.get("no_show", 0),
                "walk_in": a.get("walk_in", 0),
            }
        )
        day += datetime.timedelta(days=1)
    return series


def intake_plans_visible_to(*, user, year: int) -> QuerySet[IntakePlan]:
    return IntakePlan.objects.filter(county_q(user), year=year).select_related("county")
