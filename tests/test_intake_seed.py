"""The intake demo seeder (order 30): sites per county, plans, slots around today, bookings made through the
booking service so that the large counties (6,200 and 5,400 expected) show red (notice 四(九), 四(十一))."""

from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from applications.models import Appointment, IntakePlan, IntakeSite, QueueSnapshot, TimeSlot


def test_intake_seeder_is_realistic_and_idempotent(db):
    call_command("seed_demo", "--password", "demo-pass-1")
    today = timezone.localdate()
    levels = dict(QueueSnapshot.objects.filter(date=today).values_list("county__code", "level"))
    assert levels["620123"] == "red" and levels["620522"] == "red"  # 榆中 6,200 · 秦安 5,400
    assert levels["620122"] == "green"
    assert IntakeSite.objects.filter(county__code="620123").count() == 3
    assert IntakePlan.objects.filter(year=today.year).count() == 4
    assert not TimeSlot.objects.filter(booked__gt=F("capacity")).exists()
    booked_7 = TimeSlot.objects.filter(site__county__code="620123", date__gte=today).values_list(
        "booked", flat=True
    )
    assert (
        sum(booked_7)
        == Appointment.objects.filter(
            county__code="620123",
            date__gte=today,
            status__in=["booked", "checked_in", "called", "served", "no_show"],
        ).count()
    )
    statuses = set(
        Appointment.objects.filter(county__code="620123", date=today).values_list("status", flat=True)
    )
    assert {"booked", "checked_in", "called", "cancelled"} <= statuses
    counts = (Appointment.objects.count(), TimeSlot.objects.count(), QueueSnapshot.objects.count())
    call_command("seed_demo", "--password", "demo-pass-1")
    assert counts == (Appointment.objects.count(), TimeSlot.objects.count(), QueueSnapshot.objects.count())
