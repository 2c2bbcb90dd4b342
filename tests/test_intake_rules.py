"""Pure rules of county intake: capacity (notice 四(九)), slots, masking, forecasts and warning levels
(notice 四(十一))."""

import datetime

import pytest

from applications.rules import intake as rules

T = datetime.time


def test_daily_capacity_is_windows_times_working_minutes_over_minutes_per_case():
    """notice 四(九): daily capacity derived from windows × hours × minutes per case, lunch excluded."""
    # 08:30–17:30 = 540 min, lunch 90 from 12:00 → 450 min; 3 windows × 450 / 15 = 90
    assert (
        rules.daily_capacity(
            windows=3, opens_at=T(8, 30), closes_at=T(17, 30), lunch_break_minutes=90, minutes_per_case=15
        )
        == 90
    )
    # editing minutes per case, windows or lunch changes the capacity
    assert (
        rules.daily_capacity(
            windows=3, opens_at=T(8, 30), closes_at=T(17, 30), lunch_break_minutes=90, minutes_per_case=20
        )
        == 67
    )
    assert (
        rules.daily_capacity(
            windows=4, opens_at=T(8, 30), closes_at=T(17, 30), lunch_break_minutes=90, minutes_per_case=15
        )
        == 120
    )
    assert (
        rules.daily_capacity(
            windows=3, opens_at=T(8, 30), closes_at=T(17, 30), lunch_break_minutes=0, minutes_per_case=15
        )
        == 108
    )


def test_lunch_outside_opening_hours_is_not_deducted():
    """A morning-only high-school site (受理下沉, notice 四(十)) has no lunch break to deduct."""
    assert rules.working_minutes(T(9, 0), T(12, 0), 60) == 180
    assert (
        rules.daily_capacity(
            windows=1, opens_at=T(9, 0), closes_at=T(12, 0), lunch_break_minutes=60, minutes_per_case=30
        )
        == 6
    )


def test_zero_windows_or_minutes_give_zero_capacity():
    assert (
        rules.daily_capacity(
            windows=0, opens_at=T(8, 0), closes_at=T(12, 0), lunch_break_minutes=0, minutes_per_case=15
        )
        == 0
    )
    assert rules.slot_capacity(windows=2, slot_minutes=60, minutes_per_case=0) == 0


def test_day_slots_skip_lunch_and_cut_the_last_slot():
    """Slots from opening; the slot before lunch is cut at 12:00; none during lunch; last cut at closing;
    capacity per slot = windows × slot minutes ÷ minutes per case."""
    slots = rules.day_slots(
        opens_at=T(8, 30),
        closes_at=T(17, 0),
        lunch_break_minutes=90,
        slot_minutes=60,
        windows=2,
        minutes_per_case=20,
    )
    assert [(s.starts_at, s.ends_at, s.capacity) for s in slots] == [
        (T(8, 30), T(9, 30), 6),
        (T(9, 30), T(10, 30), 6),
        (T(10, 30), T(11, 30), 6),
        (T(11, 30), T(12, 0), 3),
        (T(13, 30), T(14, 30), 6),
        (T(14, 30), T(15, 30), 6),
        (T(15, 30), T(16, 30), 6),
        (T(16, 30), T(17, 0), 3),
    ]


def test_a_slot_too_short_for_one_case_is_left_out():
    slots = rules.day_slots(
        opens_at=T(8, 0),
        closes_at=T(9, 10),
        lunch_break_minutes=0,
        slot_minutes=60,
        windows=1,
        minutes_per_case=20,
    )
    assert [(s.starts_at, s.ends_at) for s in slots] == [(T(8, 0), T(9, 0))]


def test_opening_dates_follow_weekdays():
    monday = datetime.date(2026, 7, 20)
    days = rules.opening_dates(start=monday, end=monday + datetime.timedelta(days=6), weekdays=[1, 3, 5])
    assert [d.isoweekday() for d in days] == [1, 3, 5]


@pytest.mark.parametrize(
    "name, masked", [("张三明", "张*明"), ("李四", "李*"), ("欧阳天佑", "欧**佑"), ("王", "王"), ("", "")]
)
def test_window_screen_masks_names(name, masked):
    """The window screen (叫号屏) shows masked names only."""
    assert rules.mask_name(name) == masked


def test_days_until_full_boundaries():
    """notice 四(十一) 预约号满: whole days until free places run out at the booking pace."""
    assert rules.days_until_full(free_places=0, bookings_per_day=10) == 0
    assert rules.days_until_full(free_places=30, bookings_per_day=10) == 3
    assert rules.days_until_full(free_places=29, bookings_per_day=10) == 2
    assert rules.days_until_full(free_places=30, bookings_per_day=0) is None


def test_days_until_cleared_boundaries():
    """notice 四(十一) 速度较慢: days until the expected applicants are served at the current pace."""
    assert rules.days_until_cleared(remaining_applicants=0, served_per_day=0) == 0
    assert rules.days_until_cleared(remaining_applicants=-5, served_per_day=10) == 0
    assert rules.days_until_cleared(remaining_applicants=100, served_per_day=10) == 10
    assert rules.days_until_cleared(remaining_applicants=101, served_per_day=10) == 11
    assert rules.days_until_cleared(remaining_applicants=100, served_per_day=0) is None


def test_served_per_window_hour():
    assert rules.served_per_window_hour(served=30, window_minutes=600) == 3.0
    assert rules.served_per_window_hour(served=30, window_minutes=0) == 0.0


def warn(**overrides):
    values = {
        "booked_next_7": 0,
        "capacity_next_7": 100,
        "days_until_full": None,
        "days_until_cleared": None,
        "days_left_in_window": None,
    }
    values.update(overrides)
    return rules.queue_warning(**values)


@pytest.mark.parametrize(
    "booked, level", [(74, "green"), (75, "amber"), (89, "amber"), (90, "red"), (100, "red")]
)
def test_warning_level_by_booked_share(booked, level):
    """notice 四(十一): red at ≥ 90 % of the next 7 days' capacity booked, amber at ≥ 75 %."""
    assert warn(booked_next_7=booked).level == level


@pytest.mark.parametrize(
    "days, level", [(0, "red"), (3, "red"), (4, "amber"), (7, "amber"), (8, "green"), (None, "green")]
)
def test_warning_level_by_days_until_full(days, level):
    """notice 四(十一): red if free slots run out within 3 days, amber within 7."""
    assert warn(days_until_full=days).level == level


@pytest.mark.parametrize(
    "cleared, left, level",
    [
        (61, 60, "red"),
        (60, 60, "amber"),
        (54, 60, "amber"),
        (53, 60, "green"),
        (None, 60, "green"),
        (500, -1, "green"),
    ],
)
def test_warning_level_by_backlog_against_the_intake_window(cleared, left, level):
    """notice 四(十一): red if the backlog won't clear before the intake window ends (9/20); amber with less
    than 7 days' margin; no forecast (nobody served yet) or a closed window raise nothing."""
    assert warn(days_until_cleared=cleared, days_left_in_window=left).level == level


def test_red_reasons_are_explained_in_chinese():
    result = warn(booked_next_7=95, days_until_full=2)
    assert result.level == "red"
    assert any("95%" in reason for reason in result.reasons)
    assert any("2天内约满" in reason for reason in result.reasons)


def test_no_capacity_but_bookings_is_red():
    assert warn(booked_next_7=3, capacity_next_7=0).level == "red"
    assert warn(booked_next_7=0, capacity_next_7=0).level == "green"


def test_city_watches_counties_over_5000():
    """notice 四(九): 受理量超过 5000 人县区 are watched by the city."""
    assert rules.watched_by_city(5001)
    assert not rules.watched_by_city(5000)
