"""County intake services (notice 四(九)–(十一)): slots, booking, check-in, calling, serving, walk-ins,
bulk booking of the pre-application list, snapshots and warnings."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from applications.models import (
    Appointment,
    PreApplication,
    QueueSnapshot,
    TimeSlot,
)
from applications.services import queue as services
from applications.services import queue_warnings
from applications.tasks import queue_snapshots_daily
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent, Notification

from . import factories_intake
from .factories import valid_id
from .factories_intake import DAY, at, make_site, make_slots, person
from .migration_steps import rerun_migration_step

clock = factories_intake.clock  # the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(world, clock):
    return make_site(world.county1)


def test_slots_generated_from_opening_hours_and_windows(site):
    """notice 四(九): slots from the site's hours; capacity = active windows × slot minutes ÷ minutes per case."""
    slots = make_slots(site, DAY, DAY + datetime.timedelta(days=1))
    assert len(slots) == 8  # 08:00–12:00 in 60-minute slots, two days
    assert {s.capacity for s in slots} == {6}  # 2 windows × 60 / 20


def test_slot_generation_is_idempotent_and_keeps_bookings(world, site):
    slots = make_slots(site)
    services.appointment_book(actor=world.users.county1_staff, slot=slots[0], **person(world.county1))
    before = AuditEvent.objects.count()
    result = services.slots_generate(actor=world.users.county1_staff, site=site, start=DAY, end=DAY)
    assert result == {"days": 1, "created": 0, "updated": 0}
    assert AuditEvent.objects.count() == before
    assert TimeSlot.objects.filter(site=site).count() == 4
    assert TimeSlot.objects.get(pk=slots[0].pk).booked == 1
    # one window fewer: capacity follows, but never below what is booked
    services.intake_site_save(
        actor=world.users.county1_staff, county=world.county1, site=site, windows=1, minutes_per_case=60
    )
    services.slots_generate(actor=world.users.county1_staff, site=site, start=DAY, end=DAY)
    assert sorted(TimeSlot.objects.filter(site=site).values_list("capacity", flat=True)) == [1, 1, 1, 1]


def test_closed_weekdays_get_no_slots(world, clock):
    site = make_site(world.county1, weekdays=(1,))
    make_slots(site, DAY, DAY + datetime.timedelta(days=6))
    assert set(TimeSlot.objects.filter(site=site).values_list("date", flat=True)) == {DAY}


def test_booking_takes_a_place_and_is_audited(world, site):
    """notice 四(九) 预约受理: a clerk books a slot for a phone caller."""
    slot = make_slots(site)[1]
    appointment = services.appointment_book(
        actor=world.users.county1_staff, slot=slot, **person(world.county1)
    )
    assert appointment.status == "booked" and appointment.slot == slot and appointment.date == DAY
    assert TimeSlot.objects.get(pk=slot.pk).booked == 1
    event = AuditEvent.objects.filter(action="appointment.book").get()
    assert appointment.id_number not in str(event.new)  # stored masked


def test_full_slot_is_refused_with_409(world, site):
    services.intake_site_save(
        actor=world.users.county1_staff, county=world.county1, site=site, windows=1, minutes_per_case=30
    )
    slot = make_slots(site)[0]
    assert slot.capacity == 2
    for n in range(2):
        services.appointment_book(actor=world.users.county1_staff, slot=slot, **person(world.county1, n))
    with pytest.raises(ConflictError, match="该时段已约满"):
        services.appointment_book(actor=world.users.county1_staff, slot=slot, **person(world.county1, 3))
    assert TimeSlot.objects.get(pk=slot.pk).booked == 2
    assert Appointment.objects.count() == 2


def test_booking_an_ended_slot_is_refused(world, site, clock):
    slot = make_slots(site)[0]  # 08:00–09:00
    clock(at(DAY, 9, 1))
    with pytest.raises(DomainError, match="已结束"):
        services.appointment_book(actor=world.users.county1_staff, slot=slot, **person(world.county1))


def test_invalid_id_number_is_refused(world, site):
    slot = make_slots(site)[0]
    with pytest.raises(ValidationError) as info:
        services.appointment_book(
            actor=world.users.county1_staff, slot=slot, name="张三", id_number="620123200501011234"
        )
    assert "id_number" in info.value.message_dict
    assert TimeSlot.objects.get(pk=slot.pk).booked == 0


def test_same_id_cannot_hold_two_live_appointments_on_one_day(world, site):
    """The same ID number holds at most one live appointment a day (another site or slot included)."""
    slots = make_slots(site, DAY, DAY + datetime.timedelta(days=1))
    caller = person(world.county1)
    first = services.appointment_book(actor=world.users.county1_staff, slot=slots[0], **caller)
    with pytest.raises(ConflictError, match="同一人同一天只能预约一次"):
        services.appointment_book(actor=world.users.county1_staff, slot=slots[1], **caller)
    assert TimeSlot.objects.get(pk=slots[1].pk).booked == 0  # the refused place was given back
    services.appointment_book(actor=world.users.county1_staff, slot=slots[4], **caller)  # another day is fine
    services.appointment_cancel(actor=world.users.county1_staff, appointment=first)
    services.appointment_book(
        actor=world.users.county1_staff, slot=slots[1], **caller
    )  # after cancelling, fine again


def test_other_county_and_other_roles_may_not_book(world, site):
    slot = make_slots(site)[0]
    for user in (world.users.county2_staff, world.users.city1_manager, world.users.university1_officer):
        with pytest.raises(PermissionDeniedError):
            services.appointment_book(actor=user, slot=slot, **person(world.county1))


def test_check_in_numbers_in_arrival_order_per_site_and_day(world, site):
    """签到 assigns the day's queue number at the site, in order of arrival, not of booking."""
    slots = make_slots(site)
    a, b, c = (
        services.appointment_book(actor=world.users.county1_staff, slot=slots[i], **person(world.county1, i))
        for i in range(3)
    )
    other_site = make_site(world.county1, name="乡镇受理点")
    d = services.appointment_book(
        actor=world.users.county1_staff, slot=make_slots(other_site)[0], **person(world.county1, 9)
    )
    for appointment in (b, c, a, d):
        services.appointment_check_in(actor=world.users.county1_staff, appointment=appointment)
    numbers = dict(Appointment.objects.values_list("pk", "queue_number"))
    assert (numbers[b.pk], numbers[c.pk], numbers[a.pk], numbers[d.pk]) == (1, 2, 3, 1)
    assert AuditEvent.objects.filter(action="appointment.checked_in").count() == 4


def test_check_in_only_on_the_day(world, site):
    slot = make_slots(site, DAY + datetime.timedelta(days=1))[0]
    appointment = services.appointment_book(
        actor=world.users.county1_staff, slot=slot, **person(world.county1)
    )
    with pytest.raises(DomainError, match="只能在预约当天签到"):
        services.appointment_check_in(actor=world.users.county1_staff, appointment=appointment)


def test_call_next_takes_the_lowest_checked_in_number(world, site):
    """叫号: the clerk's window calls the lowest checked-in number; two windows get two students."""
    slots = make_slots(site)
    people = [
        services.appointment_book(actor=world.users.county1_staff, slot=slots[0], **person(world.county1, i))
        for i in range(3)
    ]
    services.appointment_check_in(actor=world.users.county1_staff, appointment=people[2])
    services.appointment_check_in(actor=world.users.county1_staff, appointment=people[0])
    window1, window2 = site.windows.order_by("number")
    first = services.appointment_call_next(actor=world.users.county1_staff, window=window1)
    assert first.pk == people[2].pk and first.status == "called" and first.window == window1
    with pytest.raises(ConflictError, match="正在办理"):
        services.appointment_call_next(actor=world.users.county1_staff, window=window1)
    second = services.appointment_call_next(actor=world.users.county1_staff, window=window2)
    assert second.pk == people[0].pk
    services.appointment_serve(actor=world.users.county1_staff, appointment=first)
    with pytest.raises(ConflictError, match="没有已签到等候"):
        services.appointment_call_next(
            actor=world.users.county1_staff, window=window1
        )  # people[1] has not checked in


def test_served_and_no_show(world, site, clock):
    """办结 after being called; 未到 only after the slot has ended (or when called and absent)."""
    slots = make_slots(site)
    a = services.appointment_book(actor=world.users.county1_staff, slot=slots[0], **person(world.county1, 1))
    b = services.appointment_book(actor=world.users.county1_staff, slot=slots[0], **person(world.county1, 2))
    with pytest.raises(ConflictError):
        services.appointment_serve(actor=world.users.county1_staff, appointment=a)  # not called yet
    services.appointment_check_in(actor=world.users.county1_staff, appointment=a)
    called = services.appointment_call_next(actor=world.users.county1_staff, window=site.windows.first())
    served = services.appointment_serve(actor=world.users.county1_staff, appointment=called)
    assert served.status == "served" and served.finished_at
    with pytest.raises(DomainError, match="时段结束后"):
        services.appointment_no_show(actor=world.users.county1_staff, appointment=b)
    clock(at(DAY, 9, 0))  # the 08:00–09:00 slot has ended
    assert services.appointment_no_show(actor=world.users.county1_staff, appointment=b).status == "no_show"
    with pytest.raises(ConflictError):
        services.appointment_cancel(
            actor=world.users.county1_staff, appointment=served
        )  # allowed map: served is final


def test_cancel_frees_the_place(world, site):
    slot = make_slots(site)[0]
    appointment = services.appointment_book(
        actor=world.users.county1_staff, slot=slot, **person(world.county1)
    )
    services.appointment_cancel(actor=world.users.county1_staff, appointment=appointment, reason="来电取消")
    assert TimeSlot.objects.get(pk=slot.pk).booked == 0
    event = AuditEvent.objects.get(action="appointment.cancelled")
    assert event.reason == "来电取消"


def test_walk_in_checks_in_directly_and_counts_against_the_days_capacity(world, clock):
    """现场取号: a walk-in gets a queue number at once and takes a place of the day; when the day is full,
    it is refused."""
    site = make_site(world.county1, windows=1, per_case=30, closes=datetime.time(10, 0))  # 2 slots × 2
    slots = make_slots(site)
    booked = services.appointment_book(
        actor=world.users.county1_staff, slot=slots[0], **person(world.county1, 0)
    )
    services.appointment_check_in(actor=world.users.county1_staff, appointment=booked)
    walk_ins = [
        services.appointment_walk_in(actor=world.users.county1_staff, site=site, **person(world.county1, n))
        for n in (1, 2, 3)
    ]
    assert [w.queue_number for w in walk_ins] == [2, 3, 4]
    assert all(w.status == "checked_in" and w.is_walk_in for w in walk_ins)
    assert sum(TimeSlot.objects.filter(site=site).values_list("booked", flat=True)) == 4
    with pytest.raises(ConflictError, match="今日受理名额已满"):
        services.appointment_walk_in(actor=world.users.county1_staff, site=site, **person(world.county1, 4))
    with pytest.raises(ConflictError, match="该时段已约满"):
        services.appointment_book(actor=world.users.county1_staff, slot=slots[1], **person(world.county1, 5))


def _pre_application(world, n, **extra):
    return PreApplication.objects.create(
        year=DAY.year,
        county=world.county1,
        name=f"预申请{n}",
        id_number=valid_id(world.county1.code, "20060101"),
        basis="registered_poor",
        source="import",
        created_by=world.users.county1_staff,
        **extra,
    )


def test_bulk_booking_of_the_pre_application_list(world, clock):
    """notice 三(六) list → appointments: listed students without an appointment get free places in date
    order; those left over are reported."""
    site = make_site(world.county1, windows=1, per_case=30, closes=datetime.time(10, 0))  # 2 slots × 2 a day
    slots = make_slots(site, DAY, DAY + datetime.timedelta(days=1))
    listed = [_pre_application(world, n) for n in range(7)]
    _pre_application(world, 99, status="withdrawn")
    _pre_application(world, 98).delete()
    taken = services.appointment_book(
        actor=world.users.county1_staff, slot=slots[3], name="先约", id_number=listed[0].id_number
    )
    taken.pre_application = listed[0]
    taken.save()
    result = services.appointments_assign_to_list(
        actor=world.users.county1_staff, county=world.county1, year=DAY.year
    )
    # 6 waiting (one already has an appointment), 7 free places over two days → all 6 placed, date order
    assert result == {"listed": 6, "assigned": 6, "unassigned": 0, "skipped": 0}
    placed = Appointment.objects.filter(pre_application__in=listed[1:]).order_by("date", "slot__starts_at")
    assert [a.slot_id for a in placed] == [
        slots[0].pk,
        slots[0].pk,
        slots[1].pk,
        slots[1].pk,
        slots[2].pk,
        slots[2].pk,
    ]
    # more students (3) than places (1 left): reported, nobody overbooked
    for n in range(3):
        _pre_application(world, 10 + n)
    again = services.appointments_assign_to_list(
        actor=world.users.county1_staff, county=world.county1, year=DAY.year
    )
    assert again == {"listed": 3, "assigned": 1, "unassigned": 2, "skipped": 0}
    assert all(s.booked <= s.capacity for s in TimeSlot.objects.all())


# --- snapshots and warnings (notice 四(十一)) ----------------------------------------------------------


def _fill(world, site, share_slots):
    for slot in share_slots:
        for n in range(slot.capacity - slot.booked):
            services.appointment_book(actor=world.users.county1_staff, slot=slot, **person(world.county1, n))


def test_snapshot_figures_and_red_level(world, site):
    slots = make_slots(site, DAY, DAY + datetime.timedelta(days=6))  # 28 slots × 6 = 168
    _fill(world, site, slots[:26])  # 156 booked = 93 %
    Appointment.objects.update(created_at=at(DAY, 8))  # all booked on the day (booking pace)
    snapshot = queue_warnings.queue_snapshot_compute(county=world.county1, on=DAY)
    assert (snapshot.capacity_next_7, snapshot.booked_next_7) == (168, 156)
    assert snapshot.level == "red"
    assert snapshot.days_until_full == 0  # 12 free places, 156 bookings in 7 days → 22 a day
    assert any("93%" in reason for reason in snapshot.reasons)


def test_snapshot_is_idempotent_and_notifies_county_and_city_once(world, site):
    """Computing twice gives one row and one notification per user; the city manager is told too."""
    slots = make_slots(site, DAY, DAY + datetime.timedelta(days=6))
    _fill(world, site, slots[:26])
    first = queue_warnings.queue_snapshot_compute(county=world.county1, on=DAY)
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"county1_staff", "county1_manager", "city1_manager"} <= notified
    assert "county2_staff" not in notified and "province_manager" not in notified
    count, audits = (
        Notification.objects.count(),
        AuditEvent.objects.filter(action="queue_snapshot.level").count(),
    )
    second = queue_warnings.queue_snapshot_compute(county=world.county1, on=DAY)
    assert QueueSnapshot.objects.filter(county=world.county1, date=DAY).count() == 1
    assert first.pk == second.pk and second.level == "red" and second.booked_next_7 == first.booked_next_7
    assert Notification.objects.count() == count
    assert AuditEvent.objects.filter(action="queue_snapshot.level").count() == audits


def test_green_county_gets_no_notification(world, site):
    make_slots(site, DAY, DAY + datetime.timedelta(days=6))
    snapshot = queue_warnings.queue_snapshot_compute(county=world.county1, on=DAY)
    assert snapshot.level == "green" and snapshot.reasons == []
    assert not Notification.objects.exists()


def test_served_per_window_hour_and_waiting(world, site):
    slots = make_slots(site)
    people = [
        services.appointment_book(actor=world.users.county1_staff, slot=slots[0], **person(world.county1, i))
        for i in range(4)
    ]
    for appointment in people:
        services.appointment_check_in(actor=world.users.county1_staff, appointment=appointment)
    for _ in range(2):
        called = services.appointment_call_next(actor=world.users.county1_staff, window=site.windows.first())
        services.appointment_serve(actor=world.users.county1_staff, appointment=called)
    snapshot = queue_warnings.queue_snapshot_compute(county=world.county1, on=DAY)
    assert snapshot.waiting_now == 2 and snapshot.served_today == 2
    # 2 windows × 240 minutes = 8 window-hours; 2 served → 0.25
    assert float(snapshot.served_per_window_hour) == 0.25


def test_daily_task_and_command_compute_all_counties(world, site):
    """The beat task (acks_late, idempotent) and `queue_snapshot --date` compute every county's snapshot."""
    assert queue_snapshots_daily(on=DAY.isoformat()) == 3
    assert queue_snapshots_daily(on=DAY.isoformat()) == 3
    assert QueueSnapshot.objects.filter(date=DAY).count() == 3
    call_command("queue_snapshot", "--date", (DAY + datetime.timedelta(days=1)).isoformat())
    assert QueueSnapshot.objects.count() == 6
    assert queue_snapshots_daily.acks_late
    rerun_migration_step("applications", "0003_intake_beat_schedule", "schedule")  # see migration_steps
    task = PeriodicTask.objects.get(task="applications.tasks.queue_snapshots_daily")
    assert task.enabled and task.crontab is not None


def test_county_without_slots_is_not_flagged(world, clock):
    """A county that has opened no slots has nothing to run out of: no forecast, no warning."""
    snapshot = queue_warnings.queue_snapshot_compute(county=world.county2, on=DAY)
    assert snapshot.days_until_full is None and snapshot.level == "green"
