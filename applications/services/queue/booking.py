"""Booking places in time slots (预约受理, 错峰受理): phone bookings, the pre-application list in bulk."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError
from loanportal.models import Organisation, User
from loanportal.rules import mask_id_number, normalise_id_number

from ...models import (
    Appointment,
    IntakeSite,
    PreApplication,
    PreApplicationStatus,
    TimeSlot,
)
from . import clock
from .common import LIVE_STATUSES, S
from .common import require_county_actor as _require_county_actor


def _take_place(slot: TimeSlot) -> None:
    """Take one place in the slot or refuse: a conditional UPDATE (booked < capacity) under the row lock
    PostgreSQL takes for the update, so two clerks can never overbook the last place."""
    taken = TimeSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if not taken:
        raise ConflictError(
            f"该时段已约满：{slot.site.name} {slot.date.month}月{slot.date.day}日 {slot.starts_at:%H:%M}–{slot.ends_at:%H:%M}，请选择其他时段"
        )


def _free_place(slot_id: int | None) -> None:
    if slot_id:
        TimeSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _live_duplicate(id_number: str, day: datetime.date) -> Appointment | None:
    return (
        Appointment.objects.filter(id_number=id_number, date=day, status__in=LIVE_STATUSES)
        .select_related("site")
        .first()
    )


def _create_appointment(
    *, slot: TimeSlot | None, site: IntakeSite, day, id_number: str, **fields
) -> Appointment:
    duplicate = _live_duplicate(id_number, day)
    if duplicate:
        raise ConflictError(
            f"该身份证号{day:%m月%d日}已在“{duplicate.site.name}”有有效预约，同一人同一天只能预约一次"
        )
    appointment = Appointment(
        county=site.county, site=site, slot=slot, date=day, id_number=id_number, **fields
    )
    appointment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:  # the partial unique constraint caught a concurrent duplicate
        raise ConflictError("该身份证号当天已有有效预约，同一人同一天只能预约一次") from exc
    return appointment


@transaction.atomic
def appointment_book(
    *,
    actor: User | None,
    slot: TimeSlot,
    name: str,
    id_number: str,
    phone: str = "",
    pre_application: PreApplication | None = None,
    record_late: bool = False,
) -> Appointment:
    """Book a place in a time slot (电话预约) for a caller: name, valid ID number, phone. Refuses a full
    slot (409 该时段已约满), a slot already over, and a second live appointment of the same person that day.
    `record_late` records (补录) an appointment of a slot of today that has already ended."""
    slot = TimeSlot.objects.select_related("site__county").get(pk=slot.pk)
    site = slot.site
    _require_county_actor(actor, site.county)
    if not site.is_active:
        raise DomainError(f"受理点“{site.name}”已停用")
    now = clock.now()
    if (slot.date, slot.ends_at) < (now.date(), now.time()) and not (record_late and slot.date == now.date()):
        raise DomainError(
            f"时段 {slot.date.month}月{slot.date.day}日 {slot.starts_at:%H:%M}–{slot.ends_at:%H:%M} 已结束，不能预约"
        )
    id_number = normalise_id_number(id_number)
    _take_place(slot)
    appointment = _create_appointment(
        slot=slot,
        site=site,
        day=slot.date,
        id_number=id_number,
        name=(name or "").strip(),
        phone=(phone or "").strip(),
        pre_application=pre_application,
        booked_by=actor,
    )
    audit_record(
        actor=actor,
        action="appointment.book",
        obj=appointment,
        new={"slot": f"{slot.date} {slot}", "site": site.name, "id_number": mask_id_number(id_number)},
        organisation=site.county,
    )
    return appointment


def _free_slots(county: Organisation, site: IntakeSite | None, now: datetime.datetime):
    slots = TimeSlot.objects.filter(
        site__county=county, site__is_active=True, booked__lt=F("capacity")
    ).filter(Q(date__gt=now.date()) | Q(date=now.date(), ends_at__gt=now.time()))
    if site is not None:
        slots = slots.filter(site=site)
    return slots.select_related("site").order_by("date", "starts_at", "site_id")


@transaction.atomic
def appointments_assign_to_list(
    *, actor: User | None, county: Organisation, year: int, site: IntakeSite | None = None
) -> dict:
    """Give the county's pre-application list (首贷预申请名单, notice 三(六)) appointments in bulk: every
    listed student without an appointment gets the next free place, in date order. Returns how many got
    a place and how many did not (no free places left)."""
    _require_county_actor(actor, county)
    waiting = list(
        PreApplication.objects.select_for_update()
        .filter(county=county, year=year, status=PreApplicationStatus.LISTED)
        .exclude(appointments__status__in=[*LIVE_STATUSES, S.SERVED])
        .order_by("pk")
    )
    assigned = 0
    skipped = 0
    queue = iter(waiting)
    pending = next(queue, None)
    for slot in _free_slots(county, site, clock.now()).select_for_update(of=("self",)):
        free = slot.capacity - slot.booked
        while free > 0 and pending is not None:
            if _live_duplicate(pending.id_number, slot.date):
                skipped += 1
                pending = next(queue, None)
                continue
            _take_place(slot)
            _create_appointment(
                slot=slot,
                site=slot.site,
                day=slot.date,
                id_number=pending.id_number,
                name=pending.name,
                phone=pending.phone,
                pre_application=pending,
                booked_by=actor,
            )
            assigned += 1
            free -= 1
            pending = next(queue, None)
        if pending is None:
            break
    unassigned = len(waiting) - assigned - skipped
    result = {"listed": len(waiting), "assigned": assigned, "unassigned": unassigned, "skipped": skipped}
    audit_record(actor=actor, action="appointment.assign_list", obj=county, new=result, organisation=county)
    return result
