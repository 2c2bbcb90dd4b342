"""Demo data of county intake (seed_demo, order 30): sites, windows, plans, slots, appointments and the
day's queue snapshots. Idempotent. The demo runs any day of the year, so slots are generated for the
last 6 days, today and the next 7 days regardless of the intake window.

Bookings go through the booking service (so the slot counters and the checks are real); county 1
(榆中县, 6,200 expected) and county 3 (秦安县, 5,400) are booked to over 90 % of the next 7 days and show
red; county 4 is amber, county 2 green. Past days are history rows (served / no-show) written directly,
because check-in and calling are only possible on the day itself.
"""

import contextlib
import datetime
import math
import random

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from deadlines.services import current_loan_year
from loanportal.demo import GIVEN, SURNAMES, make_id_number
from loanportal.errors import ConflictError

from .models import Appointment, AppointmentStatus, IntakePlan, IntakeSite, SiteKind, TimeSlot
from .services import queue as services
from .services import queue_warnings

ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]
T = datetime.time

# (county index, name, kind, windows, opens, closes, lunch, minutes per case, address)
SITES = [
    (
        0,
        "榆中县资助中心受理大厅",
        SiteKind.COUNTY_CENTER,
        3,
        T(8, 30),
        T(17, 30),
        90,
        20,
        "榆中县城关镇栖云北路",
    ),
    (0, "城关镇受理点", SiteKind.TOWNSHIP, 1, T(9, 0), T(17, 0), 120, 30, "城关镇人民政府便民服务中心"),
    (0, "榆中一中受理点", SiteKind.HIGH_SCHOOL, 1, T(9, 0), T(12, 0), 0, 30, "榆中县第一中学行政楼"),
    (1, "皋兰县资助中心受理大厅", SiteKind.COUNTY_CENTER, 2, T(9, 0), T(17, 0), 120, 20, "皋兰县石洞镇"),
    (2, "秦安县资助中心受理大厅", SiteKind.COUNTY_CENTER, 2, T(9, 0), T(17, 0), 120, 20, "秦安县兴国镇"),
    (3, "甘谷县资助中心受理大厅", SiteKind.COUNTY_CENTER, 2, T(8, 30), T(17, 30), 90, 20, "甘谷县大像山镇"),
]
# Share of the next 7 days' places booked, per county index.
BOOKED_SHARE = {0: 0.93, 1: 0.35, 2: 0.92, 3: 0.60}
STAFF = {0: "county1_staff", 1: "county2_staff", 2: "county3_staff", 3: "county4_staff"}
MEASURES = (
    "1. 实行分时段预约受理，预申请名单学生优先预约；\n"
    "2. 高峰期增开临时窗口，延长受理时间至18:00；\n"
    "3. 安排志愿者引导、秩序维护和咨询答疑，设置等候区与饮水点；\n"
    "4. 在乡镇、高中设立受理点，推动“家门口办贷款”。"
)


class _People:
    """Distinct, valid demo names and ID numbers per county."""

    def __init__(self, county, rng):
        self.county, self.rng, self.n = county, rng, 0

    def next(self):
        self.n += 1
        birth = datetime.date(2005, 1, 1) + datetime.timedelta(days=self.n // 900)
        id_number = make_id_number(self.county.code, f"{birth:%Y%m%d}", 100 + self.n % 900)
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        phone = f"13{self.rng.randint(0, 9)}{self.rng.randint(10000000, 99999999)}"
        return name, id_number, phone


def seed_intake(context) -> None:
    today = timezone.localdate()
    rng = random.Random(20260715)
    counties = context["counties"]
    users = context["users"]
    for index, county in enumerate(counties):
        actor = users.get(STAFF.get(index, ""))
        if actor is None:
            continue
        people = _People(county, rng)
        with transaction.atomic():
            sites = _sites(county, index, actor)
            if not IntakePlan.objects.filter(county=county, year=current_loan_year(today)).exists():
                services.intake_plan_save(
                    actor=actor,
                    county=county,
                    year=current_loan_year(today),
                    expected_applicants=county.expected_applicants,
                    volunteers=4 + 2 * len(sites),
                    measures=MEASURES,
                )
            for site in sites:
                services.slots_generate(
                    actor=actor,
                    site=site,
                    start=today - datetime.timedelta(days=6),
                    end=today + datetime.timedelta(days=7),
                )
            if not Appointment.objects.filter(county=county, date__lt=today).exists():
                _history(county, sites, today, people, rng, BOOKED_SHARE.get(index, 0.5))
            if not Appointment.objects.filter(county=county, date__gte=today).exists():
                _bookings(county, actor, today, people, rng, BOOKED_SHARE.get(index, 0.5))
                if index == 0:
                    _today_queue(sites[0], actor, today, people)
    queue_warnings.queue_snapshots_compute_all(on=today)


def _sites(county, index, actor) -> list[IntakeSite]:
    sites = []
    for site_index, name, kind, windows, opens, closes, lunch, per_case, address in SITES:
        if site_index != index:
            continue
        site = IntakeSite.objects.filter(county=county, name=name).first()
        if site is None:
            site = services.intake_site_save(
                actor=actor,
                county=county,
                windows=windows,
                name=name,
                kind=kind,
                address=address,
                opening_weekdays=ALL_DAYS,
                opens_at=opens,
                closes_at=closes,
                lunch_break_minutes=lunch,
                minutes_per_case=per_case,
                slot_minutes=60,
            )
        sites.append(site)
    return sites


def _history(county, sites, today, people, rng, share) -> None:
    """The last 6 days: about `share` of the places were taken; ~90 % of those were served, the rest did
    not come."""
    rows = []
    for site in sites:
        windows = list(site.windows.filter(is_active=True))
        for slot in TimeSlot.objects.filter(
            site=site, date__lt=today, date__gte=today - datetime.timedelta(days=6)
        ):
            taken = math.floor(slot.capacity * share * rng.uniform(0.8, 1.0))
            TimeSlot.objects.filter(pk=slot.pk).update(booked=F("booked") + taken)
            day_start = datetime.datetime.combine(slot.date, slot.starts_at)
            for i in range(taken):
                name, id_number, phone = people.next()
                served = rng.random() < 0.9
                at = timezone.make_aware(day_start + datetime.timedelta(minutes=i * 5))
                rows.append(
                    Appointment(
                        county=county,
                        site=site,
                        slot=slot,
                        date=slot.date,
                        name=name,
                        id_number=id_number,
                        phone=phone,
                        status=AppointmentStatus.SERVED if served else AppointmentStatus.NO_SHOW,
                        window=windows[i % len(windows)] if served and windows else None,
                        checked_in_at=at if served else None,
                        called_at=at if served else None,
                        finished_at=at + datetime.timedelta(minutes=site.minutes_per_case),
                    )
                )
    Appointment.objects.bulk_create(rows, batch_size=500)
    # Numbered in arrival order per site and day, booked the day before.
    by_day: dict = {}
    for row in Appointment.objects.filter(
        county=county, date__lt=today, status=AppointmentStatus.SERVED
    ).order_by("site_id", "date", "checked_in_at", "pk"):
        by_day.setdefault((row.site_id, row.date), []).append(row)
    for group in by_day.values():
        for number, row in enumerate(group, start=1):
            row.queue_number = number
        Appointment.objects.bulk_update(group, ["queue_number"])
    for day in {d for _, d in by_day}:
        booked_at = timezone.make_aware(datetime.datetime.combine(day - datetime.timedelta(days=1), T(10, 0)))
        Appointment.objects.filter(county=county, date=day).update(created_at=booked_at)


def _bookings(county, actor, today, people, rng, share) -> None:
    """Book `share` of the places of today and the next 6 days through the booking service, nearest days
    first (as callers do: the coming days fill up, later days are partly free)."""
    slots = list(
        TimeSlot.objects.filter(
            site__county=county, date__gte=today, date__lte=today + datetime.timedelta(days=6)
        ).order_by("date", "starts_at", "site_id")
    )
    remaining = round(sum(slot.capacity for slot in slots) * share)
    for slot in slots:
        count = min(slot.capacity - slot.booked, remaining)
        remaining -= count
        for _ in range(count):
            name, id_number, phone = people.next()
            services.appointment_book(
                actor=actor, slot=slot, name=name, id_number=id_number, phone=phone, record_late=True
            )


def _today_queue(site, actor, today, people) -> None:
    """County 1's main hall today: students served, no-shows, people called to windows, waiting, a
    cancellation and a walk-in — all through the queue services."""
    now = timezone.localtime()
    windows = list(site.windows.filter(is_active=True))
    todays = list(Appointment.objects.filter(site=site, date=today, status="booked").select_related("slot"))
    ended = [a for a in todays if a.slot.ends_at <= now.time()]
    upcoming = [a for a in todays if a.slot.ends_at > now.time()]
    # Late in the evening nothing is upcoming: then the last ended slot plays the role of "now".
    if not upcoming and ended:
        last = max(a.slot.starts_at for a in ended)
        upcoming = [a for a in ended if a.slot.starts_at == last]
        ended = [a for a in ended if a.slot.starts_at != last]
    for i, appointment in enumerate(ended):
        if i % 12 == 5:
            services.appointment_no_show(actor=actor, appointment=appointment, reason="预约时段结束未到")
            continue
        services.appointment_check_in(actor=actor, appointment=appointment)
        window = windows[i % len(windows)]
        called = services.appointment_call_next(actor=actor, window=window)
        services.appointment_serve(actor=actor, appointment=called)
    if upcoming:
        services.appointment_cancel(actor=actor, appointment=upcoming[-1], reason="学生来电改约")
        for appointment in upcoming[: min(6, len(upcoming) - 1)]:
            services.appointment_check_in(actor=actor, appointment=appointment)
        for window in windows[:2]:
            try:
                services.appointment_call_next(actor=actor, window=window)
            except ConflictError:
                break
    name, id_number, phone = people.next()
    with contextlib.suppress(ConflictError):  # the day is full: no walk-in place, as at a window
        services.appointment_walk_in(actor=actor, site=site, name=name, id_number=id_number, phone=phone)
