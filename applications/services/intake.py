"""Writes of county intake (现场受理, notice 四(九)–(十一)): plans, sites, windows, slots, appointments,
the queue, and the daily queue snapshots with their warnings."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from loanportal.audit import audit_record, model_snapshot
from loanportal.errors import ConflictError, DomainError
from loanportal.models import Organisation, User
from loanportal.permissions import require_own_county
from loanportal.rules import mask_id_number, normalise_id_number
from loanportal.transitions import apply_transition

from ..models import (
    Appointment,
    AppointmentStatus,
    IntakePlan,
    IntakeSite,
    IntakeWindow,
    PreApplication,
    PreApplicationStatus,
    TimeSlot,
)
from ..rules import intake as rules

S = AppointmentStatus
LIVE_STATUSES = (S.BOOKED, S.CHECKED_IN, S.CALLED)

# The appointment state machine (预约 → 签到 → 叫号 → 办结 / 未到 / 取消).
APPOINTMENT_TRANSITIONS = {
    S.BOOKED: {S.CHECKED_IN, S.CANCELLED, S.NO_SHOW},
    S.CHECKED_IN: {S.CALLED, S.CANCELLED},
    S.CALLED: {S.SERVED, S.NO_SHOW, S.CHECKED_IN},  # back to the queue: 过号重排
    S.SERVED: set(),
    S.NO_SHOW: set(),
    S.CANCELLED: set(),
}

SITE_FIELDS = [
    "name",
    "kind",
    "address",
    "opening_weekdays",
    "opens_at",
    "closes_at",
    "lunch_break_minutes",
    "minutes_per_case",
    "slot_minutes",
    "is_active",
]
PLAN_FIELDS = ["expected_applicants", "volunteers", "measures"]
MAX_SLOT_DAYS = 92


def _now():
    return timezone.localtime()


def intake_now():
    """The intake clock (local time) the pages share with the services."""
    return _now()


def _require_county_actor(actor: User | None, county: Organisation) -> None:
    """Only the county's own staff and managers write its intake; None is the system (demo, beat)."""
    require_own_county(actor, county, business="受理业务", allow_system=True)


# --- plan, sites, windows, slots -----------------------------------------------------------------------


@transaction.atomic
def intake_plan_save(*, actor: User | None, county: Organisation, year: int, **data) -> IntakePlan:
    """Save the county's 受理预案 (notice 四(九)): expected applicants, volunteers, measures."""
    _require_county_actor(actor, county)
    plan, created = IntakePlan.objects.select_for_update().get_or_create(county=county, year=year)
    old = {} if created else model_snapshot(plan, PLAN_FIELDS)
    for name in PLAN_FIELDS:
        if name in data:
            setattr(plan, name, data[name])
    plan.full_clean()
    plan.save()
    audit_record(
        actor=actor,
        action="intake_plan.save",
        obj=plan,
        old=old,
        new=model_snapshot(plan, PLAN_FIELDS),
        organisation=county,
    )
    return plan


def _windows_set(site: IntakeSite, count: int) -> None:
    if count < 0 or count > 50:
        raise DomainError("窗口数应在0–50之间", field="windows")
    for number in range(1, count + 1):
        IntakeWindow.objects.update_or_create(site=site, number=number, defaults={"is_active": True})
    IntakeWindow.objects.filter(site=site, number__gt=count).update(is_active=False)


@transaction.atomic
def intake_site_save(
    *, actor: User | None, county: Organisation, site: IntakeSite | None = None, windows: int, **data
) -> IntakeSite:
    """Create or edit a 受理点 (notice 四(十) 受理下沉) and set its number of active windows."""
    _require_county_actor(actor, county)
    if site is None:
        site, old = IntakeSite(county=county), {}
    else:
        site = IntakeSite.objects.select_for_update().get(pk=site.pk, county=county)
        old = model_snapshot(site, SITE_FIELDS)
        old["windows"] = site.windows.filter(is_active=True).count()
    for name in SITE_FIELDS:
        if name in data:
            setattr(site, name, data[name])
    site.opening_weekdays = sorted({int(day) for day in site.opening_weekdays or []})
    site.full_clean()
    site.save()
    _windows_set(site, windows)
    new = model_snapshot(site, SITE_FIELDS)
    new["windows"] = windows
    audit_record(
        actor=actor,
        action="intake_site.save",
        obj=site,
        old={k: v for k, v in old.items() if new.get(k) != v},
        new={k: v for k, v in new.items() if old.get(k) != v},
        organisation=county,
    )
    return site


def active_window_count(site: IntakeSite) -> int:
    return site.windows.filter(is_active=True).count()


@transaction.atomic
def slots_generate(*, actor: User | None, site: IntakeSite, start: datetime.date, end: datetime.date) -> dict:
    """Generate the time slots (预约时段) of a site's opening days from start to end. Idempotent: an
    existing slot keeps its bookings; its capacity follows the current windows but never drops below what
    is already booked."""
    _require_county_actor(actor, site.county)
    if end < start:
        raise DomainError("结束日期不能早于开始日期", field="end")
    if (end - start).days >= MAX_SLOT_DAYS:
        raise DomainError(f"一次最多生成{MAX_SLOT_DAYS}天的时段", field="end")
    site = IntakeSite.objects.select_for_update().get(pk=site.pk)
    windows = active_window_count(site)
    plans = rules.day_slots(
        opens_at=site.opens_at,
        closes_at=site.closes_at,
        lunch_break_minutes=site.lunch_break_minutes,
        slot_minutes=site.slot_minutes,
        windows=windows,
        minutes_per_case=site.minutes_per_case,
    )
    created = updated = 0
    days = rules.opening_dates(start=start, end=end, weekdays=site.opening_weekdays)
    existing = {(s.date, s.starts_at): s for s in TimeSlot.objects.filter(site=site, date__in=days)}
    for day in days:
        for plan in plans:
            slot = existing.get((day, plan.starts_at))
            if slot is None:
                TimeSlot.objects.create(
                    site=site,
                    date=day,
                    starts_at=plan.starts_at,
                    ends_at=plan.ends_at,
                    capacity=plan.capacity,
                )
                created += 1
            else:
                capacity = max(plan.capacity, slot.booked)
                if (slot.capacity, slot.ends_at) != (capacity, plan.ends_at):
                    TimeSlot.objects.filter(pk=slot.pk).update(capacity=capacity, ends_at=plan.ends_at)
                    updated += 1
    result = {"days": len(days), "created": created, "updated": updated}
    if created or updated:
        audit_record(
            actor=actor,
            action="intake_slots.generate",
            obj=site,
            new={"start": start.isoformat(), "end": end.isoformat(), **result},
            organisation=site.county,
        )
    return result


# --- booking -------------------------------------------------------------------------------------------


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
    now = _now()
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
    for slot in _free_slots(county, site, _now()).select_for_update(of=("self",)):
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


# --- the queue ----------------------------------------------------------------------------------------


def appointment_transition(
    *, actor: User | None, appointment: Appointment, to: str, reason: str = "", extra: dict | None = None
) -> Appointment:
    """The one state change of an appointment (allowed map APPOINTMENT_TRANSITIONS), audited."""
    return apply_transition(
        instance=appointment,
        to=to,
        actor=actor,
        allowed=APPOINTMENT_TRANSITIONS,
        reason=reason,
        labels=AppointmentStatus,
        organisation=appointment.county,
        extra=extra,
        action_prefix="appointment",
    )


def _next_queue_number(site: IntakeSite, day: datetime.date) -> int:
    """The day's next queue number at the site; the site row lock serialises concurrent check-ins."""
    IntakeSite.objects.select_for_update().filter(pk=site.pk).first()
    last = Appointment.objects.filter(site=site, date=day).aggregate(m=Max("queue_number"))["m"]
    return (last or 0) + 1


@transaction.atomic
def appointment_check_in(*, actor: User | None, appointment: Appointment) -> Appointment:
    """签到: the student arrives on the day of the appointment and gets the day's queue number at the site."""
    _require_county_actor(actor, appointment.county)
    today = _now().date()
    if appointment.date != today:
        raise DomainError(f"只能在预约当天签到（预约日期为{appointment.date:%m月%d日}）")
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
    now = _now()
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
    today = _now().date()
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
    _require_county_actor(actor, appointment.county)
    return appointment_transition(
        actor=actor, appointment=appointment, to=S.SERVED, extra={"finished_at": timezone.now()}
    )


@transaction.atomic
def appointment_no_show(*, actor: User | None, appointment: Appointment, reason: str = "") -> Appointment:
    """未到: a booked student who did not come once the slot has ended, or a called one who did not
    come to the window."""
    _require_county_actor(actor, appointment.county)
    if appointment.status == S.BOOKED:
        now = _now()
        ends = appointment.slot.ends_at if appointment.slot_id else datetime.time(23, 59)
        if (appointment.date, ends) > (now.date(), now.time()):
            raise DomainError("预约时段结束后才能标记未到")
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
    _require_county_actor(actor, appointment.county)
    result = appointment_transition(actor=actor, appointment=appointment, to=S.CANCELLED, reason=reason)
    _free_place(result.slot_id)
    return result


def intake_window_end(county: Organisation, year: int) -> datetime.date:
    """The last day of county intake: the calendar's 'intake_window' (with the county's extension) when the
    calendar has it, else 9/20 (notice 八 default)."""
    try:
        from deadlines.services import deadline_for

        return deadline_for("intake_window", county, year=year)
    except Exception:  # noqa: BLE001 - no calendar for that year yet: the notice's default date
        return datetime.date(year, 9, 20)


# --- closing the intake window (notice 八: 7月15日至9月20日 现场受理) ------------------------------------

INTAKE_CLOSED_REASON = "现场受理期已结束（通知第八部分：7月15日至9月20日），预约自动取消"


def intake_close(*, county: Organisation, window_end: datetime.date, dry_run: bool = False) -> list:
    """Enforcement of `intake_window` on the day after the county's (possibly extended) last day: every
    appointment of the county dated after that day that is still booked is cancelled by the system and its
    place freed. Returns [(appointment, description)]; writes nothing when dry_run. Idempotent: a second
    run finds nothing still booked."""
    pending = Appointment.objects.filter(county=county, date__gt=window_end, status__in=LIVE_STATUSES)
    touched = []
    for appointment in pending.order_by("date", "pk"):
        description = (
            f"{county.name}：{appointment.date:%m月%d日}的预约（{rules.mask_name(appointment.name)}）取消"
        )
        if not dry_run:
            appointment = appointment_cancel(actor=None, appointment=appointment, reason=INTAKE_CLOSED_REASON)
        touched.append((appointment, description))
    return touched
