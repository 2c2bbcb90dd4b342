"""Writes of county intake's queue (现场受理, notice 四(九)–(十一)) — the sites, slots, bookings and the day's
queue of appointments; the loan application itself is received in `services.lifecycle.acceptance`.

Modules: `planning` (plan, sites, windows, slots), `booking` (bookings, the list in bulk), `calls` (the
appointment transition, check-in, walk-in, call, serve, no-show, cancel), `closing` (closing intake on the
calendar), `clock` (the shared clock; tests set `clock.now`)."""

from . import clock
from .booking import appointment_book, appointments_assign_to_list
from .calls import (
    appointment_call_next,
    appointment_cancel,
    appointment_check_in,
    appointment_no_show,
    appointment_serve,
    appointment_transition,
    appointment_walk_in,
)
from .closing import intake_close, intake_closed_reason, intake_window_end, intake_window_span
from .common import APPOINTMENT_TRANSITIONS, LIVE_STATUSES, S
from .planning import (
    MAX_SLOT_DAYS,
    PLAN_FIELDS,
    SITE_FIELDS,
    active_window_count,
    intake_plan_save,
    intake_site_save,
    slots_generate,
)


def intake_now():
    """The intake clock (local time) the pages share with the services."""
    return clock.now()


__all__ = [
    "APPOINTMENT_TRANSITIONS",
    "LIVE_STATUSES",
    "MAX_SLOT_DAYS",
    "PLAN_FIELDS",
    "SITE_FIELDS",
    "S",
    "active_window_count",
    "appointment_book",
    "appointment_call_next",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_no_show",
    "appointment_serve",
    "appointment_transition",
    "appointment_walk_in",
    "appointments_assign_to_list",
    "clock",
    "intake_close",
    "intake_closed_reason",
    "intake_now",
    "intake_plan_save",
    "intake_site_save",
    "intake_window_end",
    "intake_window_span",
    "slots_generate",
]
