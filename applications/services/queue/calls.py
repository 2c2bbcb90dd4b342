"""The queue of the day (现场排队叫号): the appointment transition, check-in, walk-ins, calling, served,
no-show, cancel."""

import datetime

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError
from loanportal.models import User
from loanportal.rules import mask_id_number, normalise_id_number
from loanportal.transitions import apply_transition

from ... import states
from ...models import (
    Appointment,
    AppointmentStatus,
    IntakeSite,
    IntakeWindow,
    TimeSlot,
)
from ...rules import intake as rules
from ...rules.refusals import refuse
from . import clock
from .booking import _create_appointment, _free_place, _take_place
from .common import S
from .common import require_county_actor as _require_county_actor


def appointment_transition(
    *, actor: User | None, appointment: Appointment, to: str, reason: str = "", extra: dict | None = None
) -> Appointment:
    """The one state change of an appointment (allowed map APPOINTMENT_TRANSITIONS), audited."""
    return apply_transition(
        instance=appointment,
        to=to,
        actor=actor,
        allowed=states.APPOINTMENT_TRANSITIONS,
        reason=reason,
        labels=AppointmentStatus,
        organisation=appointment.county,
        extra=extra,
        action_prefix="appointment",
    )


def _check_action(actor: User | None, appointment: Appointment, action: str) -> None:
    """The same answer the queue page renders its buttons from (rules.appointment_refusal), on the row
    as it is now (the caller's copy may be stale)."""
    _require_county_actor(actor, appointment.county)
    appointment = Appointment.objects.select_related("slot").get(pk=appointment.pk)
    refuse(
        rules.appointment_refusal(
            action=action,
            role=getattr(actor, "role", None),
            organisation_id=getattr(actor, "organisation_id", None),
            county_id=appointment.county_id,
            status=appointment.status,
            date=appointment.date,
            slot_ends_at=appointment.slot.ends_at if appointment.slot_id else None,
            now=clock.now(),
        )
    )


def _next_queue_number(site: IntakeSite, day: datetime.date) -> int:
    """The day's next queue number at the site; the site row lock serialises concurrent check-ins."""
    IntakeSite.objects.select_for_update().filter(pk=site.pk).first()
    last = Appointment.objects.filter(site=site, date=day).aggregate(m=Max("queue_number"))["m"]
    return (last or 0) + 1


@transaction.atomic
def appointment_check_in(*, actor: User | None, appointment: Appointment) -> Appointment:
    """签到: the student arrives on the day of the appointment and gets the day's queue number at the site."""
    _check_action(actor, appointment, "check-in")
    today = clock.now().date()
    number = _next_queue_number(appointment.site, today)
    return appointment_transition(
        actor=actor,
        appointment=appointment,
        to=S.CHECKED_IN,
        extra={"queue_number": number, "checked_in_at": timezone.now()},
    )


@transaction.atomic
def appointment_walk_in(
    *, actor: User | None, site: IntakeSite, name: str, id_number: str, phone: str = ""
) -> Appointment:
    """现场取号: a student without an appointment checks in directly. The place counts against the site's
    capacity of the day: it is taken from the earliest slot of today (current one first) that still has a
    free place, with the same conditional update as a booking — so walk-ins and bookings together never
    exceed the day's capacity. No free place left today → refused (预约号满)."""
    site = IntakeSite.objects.select_related("county").get(pk=site.pk)
    _require_county_actor(actor, site.county)
    now = clock.now()
    id_number = normalise_id_number(id_number)
    candidates = list(
        TimeSlot.objects.filter(site=site, date=now.date(), booked__lt=F("capacity"))
        .select_related("site")
        .order_by("starts_at")
    )
    # Prefer the slot in progress or the next one; an earlier slot with a free place is used last.
    candidates.sort(key=lambda slot: (slot.ends_at <= now.time(), slot.starts_at))
    for slot in candidates:
        try:
            with transaction.atomic():
                _take_place(slot)
        except ConflictError:
            continue
        break
    else:
        raise ConflictError(f"“{site.name}”今日受理名额已满，无法现场取号，请预约其他日期")
    appointment = _create_appointment(
        slot=slot,
        site=site,
        day=now.date(),
        id_number=id_number,
        name=(name or "").strip(),
        phone=(phone or "").strip(),
        is_walk_in=True,
        booked_by=actor,
        status=S.CHECKED_IN,
        queue_number=_next_queue_number(site, now.date()),
        checked_in_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="appointment.walk_in",
        obj=appointment,
        new={
            "site": site.name,
            "queue_number": appointment.queue_number,
            "id_number": mask_id_number(id_number),
        },
        organisation=site.county,
    )
    return appointment


@transaction.atomic
def appointment_call_next(*, actor: User | None, window: IntakeWindow) -> Appointment:
    """叫号: call the checked-in student with the lowest queue number of the day to this window."""
    window = IntakeWindow.objects.select_related("site__county").get(pk=window.pk)
    site = window.site
    _require_county_actor(actor, site.county)
    if not window.is_active:
        raise DomainError(f"{window.number}号窗口已停用")
    today = clock.now().date()
    busy = Appointment.objects.filter(site=site, date=today, window=window, status=S.CALLED).first()
    if busy:
        raise ConflictError(
            f"{window.number}号窗口正在办理 {rules.format_queue_number(busy.queue_number)} 号，请先办结或标记未到"
        )
    # skip_locked: two windows calling at once get two different students.
    candidate = (
        Appointment.objects.select_for_update(skip_locked=True)
        .filter(site=site, date=today, status=S.CHECKED_IN)
        .order_by("queue_number")
        .first()
    )
    if candidate is None:
        raise ConflictError("当前没有已签到等候的学生")
    return appointment_transition(
        actor=actor,
        appointment=candidate,
        to=S.CALLED,
        extra={"window": window, "called_at": timezone.now()},
    )


@transaction.atomic
def appointment_serve(*, actor: User | None, appointment: Appointment) -> Appointment:
    """办结: the student called to a window has been served."""
    _check_action(actor, appointment, "serve")
    return appointment_transition(
        actor=actor, appointment=appointment, to=S.SERVED, extra={"finished_at": timezone.now()}
    )


@transaction.atomic
def appointment_no_show(*, actor: User | None, appointment: Appointment, reason: str = "") -> Appointment:
    """未到: a booked student who did not come once the slot has ended, or a called one who did not
    come to the window."""
    _check_action(actor, appointment, "no-show")
    return appointment_transition(
        actor=actor,
        appointment=appointment,
        to=S.NO_SHOW,
        reason=reason,
        extra={"finished_at": timezone.now()},
    )


@transaction.atomic
def appointment_cancel(*, actor: User | None, appointment: Appointment, reason: str = "") -> Appointment:
    """取消: cancel an appointment; its place in the slot is freed for someone else."""
    _check_action(actor, appointment, "cancel")
    result = appointment_transition(actor=actor, appointment=appointment, to=S.CANCELLED, reason=reason)
    _free_place(result.slot_id)
    return result
