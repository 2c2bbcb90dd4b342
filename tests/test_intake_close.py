"""Closing the intake window on the calendar (notice 八: 7月15日至9月20日 县级现场受理): the day after a county's
last intake day, appointments still booked after it are cancelled by the system, once; an extended county
keeps its appointments until its own extended date."""

import datetime

import pytest

from applications.models import Appointment, AppointmentStatus
from applications.services import queue as services
from deadlines.engine import calendar_run
from deadlines.services import key_date_extend, key_date_get, loan_year_ensure
from loanportal.models import AuditEvent

from . import factories_intake
from .factories_intake import at, clerk_of, make_site, make_slots, person

clock = factories_intake.clock  # the fixture

LAST_DAY = datetime.date(2026, 9, 20)


@pytest.fixture
def booked(world, clock):
    """County 1 and county 2 each have appointments on 9/20 (inside) and 9/22, 9/25 (after the window)."""
    loan_year_ensure(year=2026)
    clock(at(datetime.date(2026, 9, 1), 8))
    result = {}
    for county in (world.county1, world.county2):
        site = make_site(county)
        make_slots(site, start=LAST_DAY, end=datetime.date(2026, 9, 25))
        rows = []
        for n, day in enumerate((LAST_DAY, datetime.date(2026, 9, 22), datetime.date(2026, 9, 25))):
            slot = site.slots.filter(date=day).order_by("starts_at").first()
            rows.append(services.appointment_book(actor=clerk_of(county), slot=slot, **person(county, n)))
        result[county.pk] = rows
    return result


def test_close_intake_cancels_bookings_after_the_window_once(world, booked):
    """notice 八: intake ends 9/20; the 9/21 run cancels the county's later bookings and frees the places."""
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("intake_window", year=2026),
        organisation=world.county2,
        end_date=datetime.date(2026, 9, 30),
        reason="受理点装修，顺延",
    )
    preview = calendar_run(as_of=datetime.date(2026, 9, 21), dry_run=True)
    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 0
    listing = "\n".join(preview.lines())
    assert listing.count("的预约（张*明）取消") == 2 and "榆中县" in listing

    calendar_run(as_of=datetime.date(2026, 9, 21))
    county1 = Appointment.objects.filter(county=world.county1).order_by("date")
    assert [a.status for a in county1] == [
        AppointmentStatus.BOOKED,  # 9/20 is inside the window: left to the clerk (served or no-show)
        AppointmentStatus.CANCELLED,
        AppointmentStatus.CANCELLED,
    ]
    for appointment in county1[1:]:
        assert appointment.slot.booked == 0  # the place was freed
    # the extended county keeps its bookings until its own last day
    assert not Appointment.objects.filter(county=world.county2, status=AppointmentStatus.CANCELLED).exists()
    cancelled_events = AuditEvent.objects.filter(action="appointment.cancelled").count()
    assert cancelled_events == 2

    calendar_run(as_of=datetime.date(2026, 9, 22))  # run again: nothing more for county 1
    assert AuditEvent.objects.filter(action="appointment.cancelled").count() == 2

    calendar_run(as_of=datetime.date(2026, 10, 1))  # county 2's extended window ended on 9/30
    assert Appointment.objects.filter(county=world.county2, status=AppointmentStatus.CANCELLED).count() == 0
    # county 2's bookings were all on or before 9/30, so nothing is cancelled there either
