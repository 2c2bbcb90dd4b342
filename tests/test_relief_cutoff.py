"""Relief measures art. 21(二): the date up to which the bank computes the relief amount."""

import datetime

import pytest

from repayment_relief.rules import amount_cutoff_date


def _expected(received_on: datetime.date) -> datetime.date:
    """An independent reading of art. 21(二), written as a table of month windows rather than branches."""
    y = received_on.year
    windows = []  # (first day, last day, cutoff)
    for month in range(1, 13):
        nxt = datetime.date(y + 1, 1, 20) if month == 12 else datetime.date(y, month + 1, 20)
        last = (
            datetime.date(y + 1, 1, 1) if month == 12 else datetime.date(y, month + 1, 1)
        ) - datetime.timedelta(days=1)
        windows.append((datetime.date(y, month, 1), datetime.date(y, month, 15), datetime.date(y, month, 20)))
        windows.append((datetime.date(y, month, 16), last, nxt))
    # The special autumn window overrides the monthly rule (16 Oct – 15 Dec inclusive → 20 Dec).
    special = (datetime.date(y, 10, 16), datetime.date(y, 12, 15), datetime.date(y, 12, 20))
    if special[0] <= received_on <= special[1]:
        return special[2]
    matches = [cutoff for first, last, cutoff in windows if first <= received_on <= last]
    assert len(matches) == 1
    return matches[0]


def _every_day(*years):
    for year in years:
        day = datetime.date(year, 1, 1)
        while day.year == year:
            yield day
            day += datetime.timedelta(days=1)


def test_amount_cutoff_every_day_of_2025_and_2026_relief_measures_art_21_2():
    """Relief measures art. 21(二): every day of 2025 and 2026 against the independent expectation."""
    days = list(_every_day(2025, 2026))
    assert len(days) == 730
    mismatches = [
        (d, amount_cutoff_date(d), _expected(d)) for d in days if amount_cutoff_date(d) != _expected(d)
    ]
    assert mismatches == []


@pytest.mark.parametrize(
    ("received", "cutoff"),
    [
        ("2026-03-01", "2026-03-20"),  # day 1 → this month's 20th
        ("2026-03-15", "2026-03-20"),  # the 15th is included ("15日(含)之前")
        ("2026-03-16", "2026-04-20"),  # day 16 → next month's 20th
        ("2026-03-20", "2026-04-20"),
        ("2026-03-31", "2026-04-20"),
        ("2026-10-15", "2026-10-20"),  # the day before the autumn window
        ("2026-10-16", "2026-12-20"),  # first day of the autumn window
        ("2026-11-10", "2026-12-20"),  # would be 11/20 by the monthly rule
        ("2026-12-15", "2026-12-20"),  # last day of the autumn window (inclusive)
        ("2026-12-16", "2027-01-20"),  # after the window: 20 January of the next year
        ("2026-12-31", "2027-01-20"),
        ("2024-02-29", "2024-03-20"),  # leap day → next month
        ("2025-01-16", "2025-02-20"),
    ],
)
def test_amount_cutoff_boundaries_relief_measures_art_21_2(received, cutoff):
    """Relief measures art. 21(二): the boundaries named in the article, one by one."""
    assert amount_cutoff_date(datetime.date.fromisoformat(received)) == datetime.date.fromisoformat(cutoff)
