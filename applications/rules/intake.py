"""Pure policy rules of county intake (notice 四(九)–(十一)): capacity, time slots, masking for the window
screen, forecasts and warning levels. No database."""

import datetime
import math
from dataclasses import dataclass, field

from loanportal.roles import COUNTY_ROLES

from .. import states
from .refusals import CONFLICT, INVALID, Refusal

# The lunch break (午休) of a site starts at noon when the site is open at noon; its length is the site's
# `lunch_break_minutes`. Slots never overlap it.
LUNCH_STARTS_AT = datetime.time(12, 0)

# Warning thresholds of the 预警机制 (notice 四(十一)); see docs/intake.md.
RED_BOOKED_SHARE = 0.90  # booked ≥ 90 % of the next 7 days' capacity → red (预约号将满)
AMBER_BOOKED_SHARE = 0.75  # ≥ 75 % → amber
RED_DAYS_UNTIL_FULL = 3  # free places run out within 3 days at the current booking pace → red
AMBER_DAYS_UNTIL_FULL = 7  # within 7 days → amber
AMBER_CLEARING_MARGIN_DAYS = 7  # backlog clears less than 7 days before the window closes → amber

# Notice 四(九): the city watches the plans of counties expecting more than 5,000 applicants.
CITY_WATCH_THRESHOLD = 5000


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> datetime.time:
    return datetime.time(minutes // 60, minutes % 60)


def lunch_span(
    opens_at: datetime.time, closes_at: datetime.time, lunch_break_minutes: int
) -> tuple[int, int]:
    """The lunch break as (start, end) minutes of the day, clipped to the opening hours; (0, 0) if none."""
    start, end = _minutes(opens_at), _minutes(closes_at)
    noon = _minutes(LUNCH_STARTS_AT)
    if not lunch_break_minutes or not start < noon < end:
        return (0, 0)
    return (noon, min(noon + lunch_break_minutes, end))


def working_minutes(opens_at: datetime.time, closes_at: datetime.time, lunch_break_minutes: int = 0) -> int:
    """Minutes a window works in a day: opening hours minus the lunch break."""
    total = max(_minutes(closes_at) - _minutes(opens_at), 0)
    lunch_start, lunch_end = lunch_span(opens_at, closes_at, lunch_break_minutes)
    return total - (lunch_end - lunch_start)


def daily_capacity(
    *,
    windows: int,
    opens_at: datetime.time,
    closes_at: datetime.time,
    lunch_break_minutes: int,
    minutes_per_case: int,
) -> int:
    """Cases a site can take in a day (日受理能力, notice 四(九)): windows × working minutes ÷ minutes per case."""
    if windows <= 0 or minutes_per_case <= 0:
        return 0
    return windows * working_minutes(opens_at, closes_at, lunch_break_minutes) // minutes_per_case


def slot_capacity(*, windows: int, slot_minutes: int, minutes_per_case: int) -> int:
    """Places in one slot: active windows × slot minutes ÷ minutes per case (rounded down)."""
    if windows <= 0 or minutes_per_case <= 0 or slot_minutes <= 0:
        return 0
    return windows * slot_minutes // minutes_per_case


@dataclass(frozen=True)
class SlotPlan:
    starts_at: datetime.time
    ends_at: datetime.time
    capacity: int


def day_slots(
    *,
    opens_at: datetime.time,
    closes_at: datetime.time,
    lunch_break_minutes: int,
    slot_minutes: int,
    windows: int,
    minutes_per_case: int,
) -> list[SlotPlan]:
    """The time slots of one opening day: consecutive slots of `slot_minutes` from opening, none across
    the lunch break (the slot before lunch is cut short) and the last one cut at closing. A slot too
    short for one case is left out."""
    if slot_minutes <= 0:
        return []
    start, close = _minutes(opens_at), _minutes(closes_at)
    lunch_start, lunch_end = lunch_span(opens_at, closes_at, lunch_break_minutes)
    slots = []
    cursor = start
    while cursor < close:
        if lunch_start <= cursor < lunch_end:
            cursor = lunch_end
            continue
        end = min(cursor + slot_minutes, close)
        if cursor < lunch_start < end:
            end = lunch_start
        capacity = slot_capacity(
            windows=windows, slot_minutes=end - cursor, minutes_per_case=minutes_per_case
        )
        if capacity > 0:
            slots.append(SlotPlan(_time(cursor), _time(end), capacity))
        cursor = end
    return slots


def opening_dates(*, start: datetime.date, end: datetime.date, weekdays) -> list[datetime.date]:
    """The days from start to end (inclusive) on which the site opens (weekdays: Monday = 1 … Sunday = 7)."""
    open_days = {int(day) for day in weekdays or ()}
    days = []
    day = start
    while day <= end:
        if day.isoweekday() in open_days:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def mask_name(name: str) -> str:
    """A name for the window screen (叫号屏): 张*明, 李*, 欧阳**锋 → first and last character kept."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def format_queue_number(number: int | None) -> str:
    return f"{number:03d}" if number else "—"


# --- forecasts and warning levels (预警机制, notice 四(十一)) -------------------------------------------


def pace_per_day(total: int, days: int) -> float:
    """An average per day over a period (0 when the period is empty)."""
    return total / days if days > 0 else 0.0


def days_until_full(*, free_places: int, bookings_per_day: float) -> int | None:
    """Whole days until the free places of the generated slots are all booked at the current booking pace.
    0 when nothing is free; None when nobody is booking (no forecast)."""
    if free_places <= 0:
        return 0
    if bookings_per_day <= 0:
        return None
    return math.floor(free_places / bookings_per_day)


def days_until_cleared(*, remaining_applicants: int, served_per_day: float) -> int | None:
    """Days until the expected applicants not yet served are served at the current pace (rounded up).
    0 when nobody remains; None when nobody is being served yet (no forecast)."""
    if remaining_applicants <= 0:
        return 0
    if served_per_day <= 0:
        return None
    return math.ceil(remaining_applicants / served_per_day)


def served_per_window_hour(*, served: int, window_minutes: int) -> float:
    """Cases served per window-hour (办理速度)."""
    if window_minutes <= 0:
        return 0.0
    return round(served * 60 / window_minutes, 2)


@dataclass
class Warning:
    level: str  # "green" | "amber" | "red"
    reasons: list[str] = field(default_factory=list)


def queue_warning(
    *,
    booked_next_7: int,
    capacity_next_7: int,
    days_until_full: int | None,
    days_until_cleared: int | None,
    days_left_in_window: int | None,
) -> Warning:
    """The warning level of a county (预警级别, notice 四(十一): 预约号满、排队人多、速度较慢).

    red   — booked ≥ 90 % of the next 7 days' capacity; or free places run out within 3 days at the
            current booking pace; or at the current serving pace the expected applicants are not cleared
            before the intake window closes.
    amber — booked ≥ 75 %; or free places run out within 7 days; or the backlog clears less than 7 days
            before the window closes.
    green — otherwise. A forecast that cannot be made (nobody booking/served yet, window closed or
            unknown) raises nothing.
    """
    red: list[str] = []
    amber: list[str] = []
    if capacity_next_7 > 0:
        share = booked_next_7 / capacity_next_7
        text = f"未来7天已预约{booked_next_7}人，占可预约容量{capacity_next_7}人的{share:.0%}"
        if share >= RED_BOOKED_SHARE:
            red.append(text + "（预约号将满）")
        elif share >= AMBER_BOOKED_SHARE:
            amber.append(text)
    elif booked_next_7 > 0:
        red.append("未来7天没有可预约容量，但已有预约")
    if days_until_full is not None:
        text = (
            "剩余预约号已不足1天的预约量"
            if days_until_full == 0
            else f"按当前预约速度，剩余预约号约{days_until_full}天内约满"
        )
        if days_until_full <= RED_DAYS_UNTIL_FULL:
            red.append(text)
        elif days_until_full <= AMBER_DAYS_UNTIL_FULL:
            amber.append(text)
    if days_until_cleared is not None and days_left_in_window is not None and days_left_in_window >= 0:
        if days_until_cleared > days_left_in_window:
            red.append(
                f"按当前办理速度还需约{days_until_cleared}天，受理期仅剩{days_left_in_window}天，无法按期受理完毕"
            )
        elif days_until_cleared > days_left_in_window - AMBER_CLEARING_MARGIN_DAYS:
            amber.append(
                f"按当前办理速度还需约{days_until_cleared}天，距受理期结束（{days_left_in_window}天）余量不足7天"
            )
    if red:
        return Warning("red", red + amber)
    if amber:
        return Warning("amber", amber)
    return Warning("green", [])


def watched_by_city(expected_applicants: int) -> bool:
    """Notice 四(九): counties with more than 5,000 applicants are watched by the city."""
    return expected_applicants > CITY_WATCH_THRESHOLD


def iso_week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


# The windows of a county's 受理预警 page and of its two exports (导出每日数据 / 导出每周数据): one definition,
# so that a spreadsheet holds exactly the days and weeks the page shows.
WARNING_HISTORY_DAYS = 14  # 逐日办结人数（近14天）: today and the 13 days before
WARNING_AHEAD_DAYS = 8  # 未来8天 可预约容量与已预约: today and the 7 days after
# 逐周统计: the weeks from eight weeks back to the last day ahead — a window holding both charts' days (the
# page reads them from its one series), so at least WARNING_HISTORY_DAYS back
WARNING_WEEKS_BACK_DAYS = 56


def warning_history_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today - datetime.timedelta(days=WARNING_HISTORY_DAYS - 1), today


def warning_ahead_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today, today + datetime.timedelta(days=WARNING_AHEAD_DAYS - 1)


def warning_daily_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days of the two daily charts together: the first of the history to the last day ahead."""
    return warning_history_window(today)[0], warning_ahead_window(today)[1]


def warning_weekly_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today - datetime.timedelta(days=WARNING_WEEKS_BACK_DAYS), warning_ahead_window(today)[1]


# --- who may do what to an appointment: the one check the services make and the queue page renders ----


@dataclass(frozen=True)
class AppointmentAction:
    code: str  # the URL's action name (intake-appointment-action)
    to: str
    label: str
    style: str
    confirm: str = ""
    asks_reason: bool = False


APPOINTMENT_ACTIONS: dict[str, AppointmentAction] = {
    "check-in": AppointmentAction("check-in", states.CHECKED_IN, "签到", "warning"),
    "serve": AppointmentAction("serve", states.SERVED, "办结", "success"),
    "no-show": AppointmentAction("no-show", states.NO_SHOW, "未到", "outline-danger"),
    "cancel": AppointmentAction("cancel", states.CANCELLED, "取消", "outline-secondary", asks_reason=True),
}


def appointment_refusal(
    *,
    action: str,
    role: str | None,
    organisation_id: int | None,
    county_id: int,
    status: str,
    date: datetime.date,
    slot_ends_at: datetime.time | None,
    now: datetime.datetime,
) -> Refusal | None:
    """Why this user may not take `action` on an appointment now, or None. `role=None` is the system
    (demo data, closing intake)."""
    if role is not None and (role not in COUNTY_ROLES or organisation_id != county_id):
        return Refusal("只能办理本县的受理业务")
    spec = APPOINTMENT_ACTIONS[action]
    if spec.to not in states.APPOINTMENT_TRANSITIONS.get(status, ()):
        return Refusal(f"当前状态为“{states.APPOINTMENT_LABELS[status]}”，不能{spec.label}", CONFLICT)
    if action == "check-in" and date != now.date():
        return Refusal(f"只能在预约当天签到（预约日期为{date:%m月%d日}）", INVALID)
    if action == "no-show" and status == states.BOOKED:
        ends = slot_ends_at or datetime.time(23, 59)
        if (date, ends) > (now.date(), now.time()):
            return Refusal("预约时段结束后才能标记未到", INVALID)
    return None
