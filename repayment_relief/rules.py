"""Pure policy functions of repayment relief (还款救助), no database."""

import datetime


def amount_cutoff_date(received_on: datetime.date) -> datetime.date:
    """救助金额计算截止日 — relief measures art. 21(二).

    By the day the bank receives the relief materials:
    - received on day 1–15 of a month (15th included) → the 20th of that month;
    - received on day 16 or later → the 20th of the next month;
    - received 16 October – 15 December (both included) → 20 December of that year
      (the bank's settlement calendar: the 20 December repayment day);
    - received 16–31 December → 20 January of the next year (the general "next month" rule).
    """
    year, month, day = received_on.year, received_on.month, received_on.day
    if (month == 10 and day >= 16) or month == 11 or (month == 12 and day <= 15):
        return datetime.date(year, 12, 20)
    if day <= 15:
        return datetime.date(year, month, 20)
    if month == 12:
        return datetime.date(year + 1, 1, 20)
    return datetime.date(year, month + 1, 20)
