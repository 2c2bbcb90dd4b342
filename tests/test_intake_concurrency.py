"""Races on PostgreSQL (notice 四(九) 预约受理): two clerks booking the last place of a slot at the same
moment, and two windows calling at the same moment. Real threads, each with its own connection."""

import pytest
from django.db import connection

from applications.models import Appointment, TimeSlot
from applications.services import queue as services
from loanportal.errors import ConflictError

from . import factories_intake
from .concurrency import race
from .factories import is_postgresql
from .factories_intake import make_site, make_slots, person

clock = factories_intake.clock  # the fixture


@pytest.fixture
def pg_only():
    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL row locks")


def test_two_clerks_booking_the_last_place_never_overbook(pg_only, live_world, clock):
    """Two concurrent bookings of the last place: one succeeds, the other gets “该时段已约满”; booked ==
    capacity."""
    county = live_world.county1
    site = make_site(county, windows=1, per_case=30)
    slot = make_slots(site)[0]
    services.appointment_book(
        actor=live_world.users.county1_staff, slot=slot, **person(county, 0)
    )  # one place left of two
    staff = [live_world.users.county1_staff, live_world.users.county1_manager]
    callers = [person(county, 1), person(county, 2)]
    for attempt in range(3):  # the race is repeated: every round must end the same way
        results = race(
            *(
                lambda u=u, c=c: services.appointment_book(actor=u, slot=slot, **c)
                for u, c in zip(staff, callers)
            )
        )
        booked = [r for r in results if isinstance(r, Appointment)]
        refused = [r for r in results if isinstance(r, ConflictError)]
        assert len(booked) == 1 and len(refused) == 1, results
        assert "该时段已约满" in refused[0].message
        slot.refresh_from_db()
        assert slot.booked == slot.capacity == 2
        assert Appointment.objects.filter(slot=slot, status="booked").count() == 2
        services.appointment_cancel(
            actor=live_world.users.county1_staff, appointment=booked[0]
        )  # free the place for the next round
        callers = [person(county, 10 + 2 * attempt), person(county, 11 + 2 * attempt)]
    assert connection.vendor == "postgresql"


def test_the_same_person_booked_twice_at_once_gets_one_appointment(pg_only, live_world, clock):
    county = live_world.county1
    site = make_site(county)
    slots = make_slots(site)
    caller = person(county, 0)
    results = race(
        lambda: services.appointment_book(actor=live_world.users.county1_staff, slot=slots[0], **caller),
        lambda: services.appointment_book(actor=live_world.users.county1_staff, slot=slots[1], **caller),
    )
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    assert sum(TimeSlot.objects.filter(site=site).values_list("booked", flat=True)) == 1


def test_two_windows_calling_at_once_get_different_students(pg_only, live_world, clock):
    county = live_world.county1
    site = make_site(county)
    slot = make_slots(site)[0]
    for n in range(3):
        appointment = services.appointment_book(
            actor=live_world.users.county1_staff, slot=slot, **person(county, n)
        )
        services.appointment_check_in(actor=live_world.users.county1_staff, appointment=appointment)
    window1, window2 = site.windows.order_by("number")
    results = race(
        lambda: services.appointment_call_next(actor=live_world.users.county1_staff, window=window1),
        lambda: services.appointment_call_next(actor=live_world.users.county1_staff, window=window2),
    )
    assert all(isinstance(r, Appointment) for r in results), results
    assert {r.queue_number for r in results} == {1, 2}
