"""Pure rules of the county summary (生源地助学贷款申请汇总表) and the public notice (公示), no database.

Notice 八: 10月15日前，各市教育部门学生资助机构向省学生助学贷款管理中心汇总报送所辖各县《生源地助学贷款申请汇总表》
和《生源地助学贷款公示情况说明》. National aid center rule (DESIGN.md policy parameters): a public notice shows
only name, school, department, year, major and class; it lasts at least 5 working days and is taken down
when it ends.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from deadlines.rules import working_days
from loanportal.roles import Role

from .. import states

# --- public notice (公示) ---------------------------------------------------------------------------------

NOTICE_MIN_WORKING_DAYS = 5
# The only fields a public notice shows (national aid center rule). Never ID number, address, phone,
# birth date or bank card: the notice entry model has no column for them at all.
NOTICE_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("school", "学校"),
    ("department", "院系"),
    ("enrolment_year", "年级"),
    ("major", "专业"),
    ("class_name", "班级"),
)


def notice_earliest_end(start: datetime.date) -> datetime.date:
    """The first day on which a notice starting on `start` has lasted NOTICE_MIN_WORKING_DAYS working days."""
    day = start
    while working_days(start, day) < NOTICE_MIN_WORKING_DAYS:
        day += datetime.timedelta(days=1)
    return day


def notice_period_error(start: datetime.date, end: datetime.date) -> str | None:
    """None, or why the period is too short (Chinese, with the earliest allowed end)."""
    if end < start:
        return "公示结束日期不能早于开始日期"
    if working_days(start, end) < NOTICE_MIN_WORKING_DAYS:
        earliest = notice_earliest_end(start)
        return (
            f"公示期不少于{NOTICE_MIN_WORKING_DAYS}个工作日：自{start:%Y年%m月%d日}起，"
            f"最早于{earliest:%Y年%m月%d日}结束"
        )
    return None


def notice_phase(*, published: bool, start: datetime.date, end: datetime.date, on: datetime.date) -> str:
    """not_published / upcoming / showing / ended — the notice is visible only while showing (taken down
    when it ends, computed from the dates so no job has to run for it to disappear)."""
    if not published:
        return "not_published"
    if on < start:
        return "upcoming"
    if on > end:
        return "ended"
    return "showing"


NOTICE_PHASE_LABELS = {
    "not_published": "未发布",
    "upcoming": "待公示",
    "showing": "公示中",
    "ended": "已结束（已撤下）",
}


# --- the summary table -------------------------------------------------------------------------------------

LEVEL_ROWS = (
    ("专科（高职）", frozenset({"vocational"})),
    ("本科（含第二学士学位）", frozenset({"undergraduate", "second_degree"})),
    ("研究生", frozenset({"graduate"})),
)
BASIS_LABELS = (
    ("registered_poor", "建档立卡贫困户"),
    ("minimum_living", "城乡低保户"),
    ("rural_support", "农村特困救助供养"),
    ("orphan_disabled", "孤残学生"),
    ("national_grant", "高中阶段获国家助学金"),
    ("school_certified", "其他经学校认定的家庭经济困难学生"),
    ("", "未预申请（书面承诺）"),
)
SECTIONS = ("贷款类型", "学历层次", "高校所在地", "认定依据（首贷）")


@dataclass(frozen=True)
class Loan:
    """One loan counted in the table: first loan or renewal, with its amounts."""

    first: bool
    level: str
    in_province: bool
    basis: str  # "" for a first loan without pre-application (书面承诺); ignored for renewals
    tuition: int
    accommodation: int


def _line(section: str, label: str, loans: list[Loan]) -> dict:
    tuition = sum(loan.tuition for loan in loans)
    accommodation = sum(loan.accommodation for loan in loans)
    return {
        "section": section,
        "label": label,
        "count": len(loans),
        "tuition": tuition,
        "accommodation": accommodation,
        "total": tuition + accommodation,
    }


def summary_table(loans: Iterable[Loan]) -> dict:
    """The table's lines (section, label, count, tuition, accommodation, total) and its totals line.

    Every section but the basis one covers all loans, so each sums to the totals; the basis section
    covers the first loans and sums to the 首贷 line."""
    loans = list(loans)
    first = [loan for loan in loans if loan.first]
    lines = [
        _line(SECTIONS[0], "首贷", first),
        _line(SECTIONS[0], "续贷", [loan for loan in loans if not loan.first]),
    ]
    for label, levels in LEVEL_ROWS:
        lines.append(_line(SECTIONS[1], label, [loan for loan in loans if loan.level in levels]))
    lines.append(_line(SECTIONS[2], "省内高校", [loan for loan in loans if loan.in_province]))
    lines.append(_line(SECTIONS[2], "省外高校", [loan for loan in loans if not loan.in_province]))
    for code, label in BASIS_LABELS:
        lines.append(_line(SECTIONS[3], label, [loan for loan in first if loan.basis == code]))
    return {"lines": lines, "total": _line("合计", "合计", loans)}


# --- who may do what on a summary (the pages, the API and the service read the same function) ----------------

SUMMARY_ACTIONS = {
    "regenerate": None,
    "submit": states.SUMMARY_SUBMITTED,
    "return": states.SUMMARY_RETURNED,
    "forward": states.SUMMARY_FORWARDED,
}
SUMMARY_ACTION_LABELS = {
    "regenerate": "重新生成",
    "submit": "审核并报送市级",
    "return": "退回县级",
    "forward": "报送省中心",
}


def summary_refusal(
    *, role: str | None, organisation_id, county_id, city_id, status: str, action: str
) -> str | None:
    """None when the actor may take `action`, else the Chinese reason (403 for the wrong person, 409 for
    the wrong state — the caller tells them apart by `summary_state_refusal`)."""
    if action == "regenerate":
        if role not in (Role.COUNTY_STAFF, Role.COUNTY_MANAGER) or organisation_id != county_id:
            return "只有本县学生资助管理中心可以生成汇总表"
        return None
    if action == "submit":
        if role != Role.COUNTY_MANAGER or organisation_id != county_id:
            return "只有本县负责人可以审核并报送汇总表"
        return None
    if action in ("return", "forward"):
        if role != Role.CITY_MANAGER or organisation_id != city_id:
            return "只有所属市级负责人可以退回或报送省中心"
        return None
    return f"未知的操作“{action}”"


def summary_state_refusal(*, status: str, action: str) -> str | None:
    if action == "regenerate":
        if status not in states.SUMMARY_EDITABLE:
            return f"汇总表{states.SUMMARY_LABELS[status]}，不能重新生成"
        return None
    to = SUMMARY_ACTIONS.get(action)
    if to not in states.SUMMARY_TRANSITIONS.get(status, ()):
        return f"当前状态为“{states.SUMMARY_LABELS[status]}”，不能{SUMMARY_ACTION_LABELS.get(action, action)}"
    return None
