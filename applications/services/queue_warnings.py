"""Queue warnings (预警机制, notice 四(十一)): daily snapshots per county, levels, notifications.

Reads the queue (services.queue: appointments, slots, sites).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from deadlines.services import current_loan_year
from loanportal.audit import audit_record
from loanportal.errors import DomainError
from loanportal.models import Organisation, User
from loanportal.roles import OrgKind
from loanportal.services import notification_send_to_organisation

from ..models import (
    Appointment,
    IntakePlan,
    IntakeSite,
    QueueLevel,
    QueueSnapshot,
    TimeSlot,
)
from ..rules import intake as rules
from .queue import S, intake_window_end


def expected_applicants(county: Organisation, year: int) -> int:
    plan = IntakePlan.objects.filter(county=county, year=year).first()
    if plan and plan.expected_applicants:
        return plan.expected_applicants
    return county.expected_applicants


def _window_minutes(county: Organisation, start: datetime.date, end: datetime.date) -> int:
    """Window-minutes the county's sites were open from start to end (days with slots only)."""
    total = 0
    sites = IntakeSite.objects.filter(county=county).prefetch_related("windows")
    for site in sites:
        windows = sum(1 for w in site.windows.all() if w.is_active)
        days = TimeSlot.objects.filter(site=site, date__range=(start, end)).values("date").distinct().count()
        total += (
            days * windows * rules.working_minutes(site.opens_at, site.closes_at, site.lunch_break_minutes)
        )
    return total


def queue_figures(*, county: Organisation, on: datetime.date) -> dict:
    """The day's figures of a county (read-only; the snapshot service stores them)."""
    week = on + datetime.timedelta(days=6)
    past = on - datetime.timedelta(days=6)
    slots = TimeSlot.objects.filter(site__county=county)
    next_7 = slots.filter(date__range=(on, week)).aggregate(c=Sum("capacity"), b=Sum("booked"))
    future = slots.filter(date__gte=on).aggregate(c=Sum("capacity"), b=Sum("booked"))
    appointments = Appointment.objects.filter(county=county)
    waiting = appointments.filter(date=on, status=S.CHECKED_IN).count()
    served_today = appointments.filter(date=on, status=S.SERVED).count()
    served_week = appointments.filter(date__range=(past, on), status=S.SERVED).count()
    served_year = appointments.filter(date__year=on.year, date__lte=on, status=S.SERVED).count()
    start_of_day = timezone.make_aware(datetime.datetime.combine(past, datetime.time.min))
    end_of_day = timezone.make_aware(
        datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min)
    )
    booked_week = appointments.filter(
        created_at__gte=start_of_day, created_at__lt=end_of_day, is_walk_in=False
    ).count()
    served_days = (
        appointments.filter(date__range=(past, on), status=S.SERVED).values("date").distinct().count()
    )
    bookings_per_day = rules.pace_per_day(booked_week, 7)
    served_per_day = rules.pace_per_day(served_week, served_days)
    expected = expected_applicants(county, current_loan_year(on))
    window_end = intake_window_end(county, current_loan_year(on))
    free = (future["c"] or 0) - (future["b"] or 0)
    return {
        "capacity_next_7": next_7["c"] or 0,
        "booked_next_7": next_7["b"] or 0,
        "waiting_now": waiting,
        "served_today": served_today,
        "served_per_window_hour": Decimal(
            str(
                rules.served_per_window_hour(
                    served=served_week, window_minutes=_window_minutes(county, past, on)
                )
            )
        ),
        # No slots opened at all: nothing to run out of (the plan page shows that no slots exist).
        "days_until_full": rules.days_until_full(free_places=free, bookings_per_day=bookings_per_day)
        if future["c"]
        else None,
        "days_until_cleared": rules.days_until_cleared(
            remaining_applicants=expected - served_year, served_per_day=served_per_day
        ),
        "days_left_in_window": (window_end - on).days if window_end else None,
        "bookings_per_day": round(bookings_per_day, 1),
        "served_per_day": round(served_per_day, 1),
        "expected_applicants": expected,
        "free_places": free,
    }


@transaction.atomic
def queue_snapshot_compute(
    *, county: Organisation, on: datetime.date, actor: User | None = None
) -> QueueSnapshot:
    """The county's queue snapshot of the day (逐日分析, notice 四(十一)), with its warning level; a non-green
    level is sent to the county and its city once per (county, day, level). Idempotent per (county, date)."""
    if county.kind != OrgKind.COUNTY:
        raise DomainError("只能为县级机构计算受理预警")
    figures = queue_figures(county=county, on=on)
    warning = rules.queue_warning(
        booked_next_7=figures["booked_next_7"],
        capacity_next_7=figures["capacity_next_7"],
        days_until_full=figures["days_until_full"],
        days_until_cleared=figures["days_until_cleared"],
        days_left_in_window=figures["days_left_in_window"],
    )
    fields = {name: figures[name] for name in (
        "capacity_next_7", "booked_next_7", "waiting_now", "served_today",
        "served_per_window_hour", "days_until_full", "days_until_cleared",
    )}  # fmt: skip
    snapshot = QueueSnapshot.objects.select_for_update().filter(county=county, date=on).first()
    old_level = snapshot.level if snapshot else None
    if snapshot is None:
        snapshot = QueueSnapshot(county=county, date=on)
    for name, value in fields.items():
        setattr(snapshot, name, value)
    snapshot.level = warning.level
    snapshot.reasons = warning.reasons
    snapshot.full_clean(validate_constraints=False)
    snapshot.save()
    if warning.level != QueueLevel.GREEN:
        _warn(county=county, on=on, snapshot=snapshot)
    if old_level != snapshot.level:
        audit_record(
            actor=actor,
            action="queue_snapshot.level",
            obj=snapshot,
            old={"level": old_level} if old_level else {},
            new={"level": snapshot.level, "reasons": snapshot.reasons},
            organisation=county,
        )
    return snapshot


def _warn(*, county: Organisation, on: datetime.date, snapshot: QueueSnapshot) -> None:
    label = QueueLevel(snapshot.level).label
    title = f"受理{label}：{county.name}（{on:%m月%d日}）"
    body = (
        "；".join(snapshot.reasons)
        + "。请及时采取增加预约号、延长工作时间、增设受理窗口等措施（通知四(十一)）。"
    )
    url = reverse("intake-warning-county", args=[county.pk])
    key = f"queue-warning:{county.pk}:{on.isoformat()}:{snapshot.level}"
    level = "danger" if snapshot.level == QueueLevel.RED else "warning"
    notification_send_to_organisation(
        organisation=county, title=title, body=body, url=url, dedupe_key=key, level=level, category="intake"
    )
    if county.parent_id:
        notification_send_to_organisation(
            organisation=county.parent,
            roles=["city_manager"],
            title=title,
            body=body,
            url=url,
            dedupe_key=key,
            level=level,
            category="intake",
        )


def queue_snapshots_compute_all(*, on: datetime.date) -> int:
    """All active counties' snapshots of the day (each in its own transaction)."""
    count = 0
    for county in Organisation.objects.filter(kind=OrgKind.COUNTY, is_active=True).order_by("code"):
        queue_snapshot_compute(county=county, on=on)
        count += 1
    return count
