"""Pure calendar rules (no database): the default dates of notice 八, statuses, reminder timing."""

import datetime
from dataclasses import dataclass

from loanportal.roles import OrgKind

# Enforcement action codes the default calendar names; the owning apps register handlers for them
# (deadlines.registry.register_enforcement) in their AppConfig.ready().
CLOSE_INTAKE = "applications.close_intake"
ABANDON_UNRECEIPTED = "applications.abandon_unreceipted"
HAND_RENEWAL_REVIEWS_TO_COUNTY = "renewals.hand_overdue_reviews_to_county"
LIST_LATE_FEE_UNIVERSITIES = "renewals.list_late_fee_universities"


@dataclass(frozen=True)
class DefaultKeyDate:
    code: str
    label: str
    short_label: str
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]
    owed_by: str
    enforcement_action: str = ""
    next_year: bool = False  # the date falls in Y+1 (archive by the end of March)


# Notice 八 (贷款发放工作时间节点), in order.
DEFAULT_CALENDAR: tuple[DefaultKeyDate, ...] = (
    DefaultKeyDate(
        "renewal_review_due",
        "各高校集中完成续贷学生“续贷声明”审核工作",
        "续贷声明审核",
        (7, 10),
        (7, 10),
        OrgKind.UNIVERSITY,
        HAND_RENEWAL_REVIEWS_TO_COUNTY,
    ),
    DefaultKeyDate(
        "fee_standard_due",
        "各高校完成本校专业学费和住宿费的收费标准录入及学校收费账户的核对确认工作",
        "收费标准录入",
        (7, 15),
        (7, 15),
        OrgKind.UNIVERSITY,
        LIST_LATE_FEE_UNIVERSITIES,
    ),
    DefaultKeyDate(
        "intake_window",
        "各县级学生资助机构开展现场受理工作",
        "现场受理期",
        (7, 15),
        (9, 20),
        OrgKind.COUNTY,
        CLOSE_INTAKE,
    ),
    DefaultKeyDate(
        "receipt_entry_due",
        "各高校完成学生贷款回执信息的录入工作（逾期未完成的，视为该校借款学生放弃当年申请）",
        "回执录入",
        (10, 10),
        (10, 10),
        OrgKind.UNIVERSITY,
        ABANDON_UNRECEIPTED,
    ),
    DefaultKeyDate(
        "receipt_confirm_due",
        "各县级学生资助机构完成贷款合同电子回执的确认工作",
        "电子回执确认",
        (10, 10),
        (10, 10),
        OrgKind.COUNTY,
    ),
    DefaultKeyDate(
        "city_summary_due",
        "各市教育部门学生资助机构报送所辖各县《生源地助学贷款申请汇总表》和《生源地助学贷款公示情况说明》",
        "汇总表报送",
        (10, 15),
        (10, 15),
        OrgKind.CITY,
    ),
    DefaultKeyDate(
        "bank_approval_due",
        "国家开发银行省分行审核贷款学生申请材料，通过审批后发放贷款",
        "审批发放",
        (11, 20),
        (11, 20),
        OrgKind.BANK,
    ),
    DefaultKeyDate(
        "fee_certificate_window",
        "各高校查看学费到账情况，向贷款已到账学生开具收费证明",
        "收费证明开具期",
        (11, 20),
        (11, 30),
        OrgKind.UNIVERSITY,
    ),
    DefaultKeyDate(
        "archive_due",
        "各县级学生资助机构完成信贷材料的归档工作（次年3月底前）",
        "信贷材料归档",
        (3, 31),
        (3, 31),
        OrgKind.COUNTY,
        next_year=True,
    ),
)


def loan_year_number(on: datetime.date) -> int:
    """The loan year a day belongs to when no calendar says otherwise: a loan year runs from its summer
    to the archive deadline at the end of March of the next year, so January–March belong to the previous
    year (notice 八: 次年3月底前归档)."""
    return on.year - 1 if on.month <= 3 else on.year


def default_dates(year: int, spec: DefaultKeyDate) -> tuple[datetime.date, datetime.date]:
    """The start and end date of one default key date in loan year `year` (notice 八)."""
    y = year + 1 if spec.next_year else year
    return datetime.date(y, *spec.start), datetime.date(y, *spec.end)


class Status:
    UPCOMING = "upcoming"
    OPEN = "open"
    DUE_TODAY = "due_today"
    PASSED = "passed"


STATUS_LABELS = {
    Status.UPCOMING: "未开始",
    Status.OPEN: "进行中",
    Status.DUE_TODAY: "今日截止",
    Status.PASSED: "已截止",
}


def key_date_status(
    *, start: datetime.date, end: datetime.date, on: datetime.date, window: bool | None = None
) -> str:
    """Status of a key date on a day. A window is upcoming before its first day; a single deadline
    (start = end, even when extended for one organisation: window=False) is open (work may still be
    done) until the day itself, which is "due today"."""
    window = start != end if window is None else window
    if on > end:
        return Status.PASSED
    if on == end:
        return Status.DUE_TODAY
    if window and on < start:
        return Status.UPCOMING
    return Status.OPEN


def is_within(
    *, start: datetime.date, end: datetime.date, on: datetime.date, window: bool | None = None
) -> bool:
    """Open on a day: inside a window (both ends included); for a single deadline, not yet passed."""
    window = start != end if window is None else window
    if window:
        return start <= on <= end
    return on <= end


def enforcement_due_on(deadline: datetime.date) -> datetime.date:
    """Enforcement runs the day after the (effective) deadline: the deadline day itself is still open."""
    return deadline + datetime.timedelta(days=1)


def reminder_plan(
    *, deadline: datetime.date, lead_days: list[int], on: datetime.date
) -> tuple[int | None, list[int]]:
    """Which reminder to send on `on` and which lead times to mark as missed.

    Every lead time whose day (deadline − lead) has come is due. Only the most urgent due one (the
    smallest lead) is sent, and only while the deadline has not passed; the older due ones are
    superseded, never sent late. Returns (lead to send or None, leads to mark superseded/too late).
    """
    due = sorted(lead for lead in lead_days if deadline - datetime.timedelta(days=lead) <= on)
    if not due:
        return None, []
    if on > deadline:
        return None, due
    return due[0], due[1:]


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Working days (Monday–Friday) from start to end, both included; 0 when end is before start. Public
    holidays are not known here, so a period spanning one should be set longer. The one count of the
    public notices of the loan summaries (notice 八) and of relief (第二十条（三）)."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start + datetime.timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def format_date(value: datetime.date | None) -> str:
    """2026年7月15日"""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def format_span(start: datetime.date, end: datetime.date) -> str:
    """7月15日至9月20日 (the year is left out when both days are in one year)."""
    if start == end:
        return f"{end.month}月{end.day}日"
    if start.year == end.year:
        return f"{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{format_date(start)}至{format_date(end)}"
