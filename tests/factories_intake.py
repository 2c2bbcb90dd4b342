"""Helpers of the intake tests: a site with windows and slots, a fixed clock, valid ID numbers."""

import datetime

import pytest
from django.utils import timezone

from applications.models import Appointment, IntakeSite
from applications.services import queue as services

from .factories import valid_id

DAY = datetime.date(2026, 7, 20)  # a Monday inside the intake window (7/15–9/20)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def clock(monkeypatch):
    """clock(datetime) sets the intake services' "now" (our own clock function, not the database)."""

    def set_now(moment: datetime.datetime):
        monkeypatch.setattr(services.clock, "now", lambda: timezone.localtime(moment))

    set_now(at(DAY, 8, 0))
    return set_now


def clerk_of(county):
    """The county's clerk: writes in tests act as the person who does them (None only for the system)."""
    from loanportal.models import User
    from loanportal.roles import Role

    return User.objects.filter(organisation=county, role=Role.COUNTY_STAFF).order_by("pk").first()


def make_site(
    county,
    *,
    name="县资助中心受理大厅",
    windows=2,
    opens=datetime.time(8, 0),
    closes=datetime.time(12, 0),
    lunch=0,
    per_case=20,
    slot_minutes=60,
    weekdays=(1, 2, 3, 4, 5, 6, 7),
) -> IntakeSite:
    return services.intake_site_save(
        actor=clerk_of(county),
        county=county,
        windows=windows,
        name=name,
        kind="county_center",
        opening_weekdays=list(weekdays),
        opens_at=opens,
        closes_at=closes,
        lunch_break_minutes=lunch,
        minutes_per_case=per_case,
        slot_minutes=slot_minutes,
    )


def make_slots(site, start=DAY, end=None):
    services.slots_generate(actor=clerk_of(site.county), site=site, start=start, end=end or start)
    return list(site.slots.order_by("date", "starts_at"))


def person(county, n: int = 0):
    return {"name": f"张{n}明", "id_number": valid_id(county.code), "phone": "13800001234"}


def booking_on_day(county, *, name: str, birth: str = "20080102", phone: str = "13800001235"):
    """A booking on DAY at a new site of `county`, written straight to the table: a name no form accepts
    (the exports' hostile-text tests)."""
    site = make_site(county)
    return Appointment.objects.create(
        county=county,
        site=site,
        slot=make_slots(site)[0],
        date=DAY,
        name=name,
        id_number=valid_id(county.code, birth),
        phone=phone,
    )
