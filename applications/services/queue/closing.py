"""Closing county intake on the calendar (notice 八: 县级现场受理期) and the intake window's dates."""

import datetime

from loanportal.errors import DomainError
from loanportal.models import Organisation

from ... import states
from ...models import (
    Appointment,
)
from ...rules import intake as rules
from .calls import appointment_cancel


def intake_window_end(county: Organisation, year: int) -> datetime.date | None:
    """The last day of county intake: the calendar's 'intake_window' of the loan year with the county's
    extension; None when the calendar has no such year (no date is ever made up here)."""
    from deadlines.services import deadline_for

    try:
        return deadline_for("intake_window", county, year=year)
    except DomainError:
        return None


def intake_window_span(county: Organisation, year: int) -> str | None:
    """The county's intake window of the loan year in words, e.g. "7月15日至9月30日" (with its extension)."""
    from deadlines.rules import format_span
    from deadlines.services import key_date_get

    try:
        key_date = key_date_get("intake_window", year=year)
    except DomainError:
        return None
    return format_span(key_date.start_date, intake_window_end(county, year))


def intake_closed_reason(county: Organisation, year: int) -> str:
    """The reason written on the appointments cancelled when intake closes, with the real dates."""
    span = intake_window_span(county, year)
    return (
        f"现场受理期已结束（通知第八部分：{span}），预约自动取消"
        if span
        else "现场受理期已结束，预约自动取消"
    )


# --- closing the intake window (notice 八: 县级现场受理期) -------------------------------------------------


def intake_close(
    *, county: Organisation, window_end: datetime.date, year: int | None = None, dry_run: bool = False
) -> list:
    """Enforcement of `intake_window` on the day after the county's (possibly extended) last day: every
    appointment of the county dated after that day that is still booked or checked in is cancelled by the
    system and its place freed. A student already called to a window (已叫号) is still served: the clerk
    finishes the case (办结 or 未到); the close leaves that appointment alone. Returns
    [(appointment, description)]; writes nothing when dry_run. Idempotent: a second run finds nothing left.
    """
    pending = Appointment.objects.filter(
        county=county, date__gt=window_end, status__in=states.APPOINTMENT_CANCELLED_AT_CLOSE
    )
    reason = intake_closed_reason(county, year if year is not None else window_end.year)
    touched = []
    for appointment in pending.order_by("date", "pk"):
        description = (
            f"{county.name}：{appointment.date:%m月%d日}的预约（{rules.mask_name(appointment.name)}）取消"
        )
        if not dry_run:
            appointment = appointment_cancel(actor=None, appointment=appointment, reason=reason)
        touched.append((appointment, description))
    return touched
