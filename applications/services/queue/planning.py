"""County intake planning (受理预案, notice 四(九)–(十)): the plan, sites and their windows, time slots."""

import datetime

from django.db import transaction

from loanportal.audit import audit_record
from loanportal.errors import DomainError
from loanportal.models import Organisation, User
from loanportal.updates import model_update

from ...models import (
    IntakePlan,
    IntakeSite,
    IntakeWindow,
    TimeSlot,
)
from ...rules import intake as rules
from .common import require_county_actor as _require_county_actor

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


@transaction.atomic
def intake_plan_save(*, actor: User | None, county: Organisation, year: int, **data) -> IntakePlan:
    """Save the county's 受理预案 (notice 四(九)): expected applicants, volunteers, measures."""
    _require_county_actor(actor, county)
    plan, created = IntakePlan.objects.select_for_update().get_or_create(county=county, year=year)
    model_update(
        instance=plan,
        fields=PLAN_FIELDS,
        data={name: data[name] for name in PLAN_FIELDS if name in data},
        actor=actor,
        action="intake_plan.save",
        organisation=county,
        created=created,
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
    created = site is None
    if created:
        site, old_windows = IntakeSite(county=county), {}
    else:
        site = IntakeSite.objects.select_for_update().get(pk=site.pk, county=county)
        old_windows = {"windows": site.windows.filter(is_active=True).count()}
    changes = {name: data[name] for name in SITE_FIELDS if name in data}
    changes["opening_weekdays"] = sorted(
        {int(day) for day in changes.get("opening_weekdays", site.opening_weekdays) or []}
    )
    model_update(
        instance=site,
        fields=SITE_FIELDS,
        data=changes,
        actor=actor,
        action="intake_site.save",
        organisation=county,
        created=created,
        extra_old=old_windows,
        extra_new={"windows": windows},
    )
    _windows_set(site, windows)
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
