"""The yearly calendar as data (notice 八): default dates, loan year of a day, is_open at the boundaries,
per-organisation extensions, require_open's message, edits by the province manager (audited)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from deadlines import rules, services
from deadlines.models import KeyDate, KeyDateExtension, LoanYear
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import AuditEvent
from loanportal.roles import OrgKind

from .factories_deadlines import d

# Notice 八, read independently of deadlines.rules: code → (start, end, who owes it).
NOTICE_8 = {
    "renewal_review_due": ("2026-07-10", "2026-07-10", OrgKind.UNIVERSITY),
    "fee_standard_due": ("2026-07-15", "2026-07-15", OrgKind.UNIVERSITY),
    "intake_window": ("2026-07-15", "2026-09-20", OrgKind.COUNTY),
    "receipt_entry_due": ("2026-10-10", "2026-10-10", OrgKind.UNIVERSITY),
    "receipt_confirm_due": ("2026-10-10", "2026-10-10", OrgKind.COUNTY),
    "city_summary_due": ("2026-10-15", "2026-10-15", OrgKind.CITY),
    "bank_approval_due": ("2026-11-20", "2026-11-20", OrgKind.BANK),
    "fee_certificate_window": ("2026-11-20", "2026-11-30", OrgKind.UNIVERSITY),
    "archive_due": ("2027-03-31", "2027-03-31", OrgKind.COUNTY),
}


@pytest.fixture
def calendar(world):
    return services.loan_year_ensure(year=2026)


def test_default_calendar_notice_8(calendar):
    """Notice 八: every default date of the loan year, who owes it, and a Chinese label from the notice."""
    found = {kd.code: (str(kd.start_date), str(kd.end_date), kd.owed_by) for kd in calendar.key_dates.all()}
    assert found == NOTICE_8
    labels = dict(calendar.key_dates.values_list("code", "label"))
    assert "续贷声明" in labels["renewal_review_due"]
    assert "现场受理" in labels["intake_window"]
    assert "视为" in labels["receipt_entry_due"] and "放弃" in labels["receipt_entry_due"]
    assert "汇总表" in labels["city_summary_due"] and "公示情况说明" in labels["city_summary_due"]
    assert "收费证明" in labels["fee_certificate_window"]
    assert "归档" in labels["archive_due"]
    assert all(kd.reminder_days == [7, 3, 1] for kd in calendar.key_dates.all())


def test_loan_year_ensure_is_idempotent_and_keeps_edits_notice_8(calendar, world):
    """Notice 八: ensuring a year twice adds nothing and keeps a date the province moved; audited once."""
    intake = calendar.key_dates.get(code="intake_window")
    services.key_date_update(
        actor=world.users.province_manager,
        key_date=intake,
        start_date=d("2026-07-16"),
        end_date=d("2026-09-25"),
        reason="省里统一推迟一天开始",
    )
    audit_before = AuditEvent.objects.filter(action="loan_year.ensure").count()
    again = services.loan_year_ensure(year=2026)
    assert again.pk == calendar.pk
    assert again.key_dates.count() == 9
    assert again.key_dates.get(code="intake_window").end_date == d("2026-09-25")
    assert AuditEvent.objects.filter(action="loan_year.ensure").count() == audit_before
    KeyDate.objects.filter(loan_year=calendar, code="archive_due").delete()
    services.loan_year_ensure(year=2026)
    assert calendar.key_dates.get(code="archive_due").end_date == d("2027-03-31")


@pytest.mark.parametrize(
    ("day", "year"),
    [
        ("2026-07-10", 2026),  # first date of the loan year
        ("2026-12-31", 2026),
        ("2027-03-31", 2026),  # archive by the end of March of Y+1 still belongs to Y
        ("2027-04-01", 2027),  # between two loan years: the coming one
        ("2027-07-10", 2027),
        ("2026-05-01", 2026),  # before the first date: the coming year
    ],
)
def test_loan_year_of_a_day_notice_8(world, day, year):
    """Notice 八: a loan year runs from its first date to the archive date (3/31 of the next year)."""
    services.loan_year_ensure(year=2026)
    services.loan_year_ensure(year=2027)
    assert services.loan_year_of(d(day)).year == year


def test_loan_year_of_without_calendar(world):
    assert services.loan_year_of(d("2026-08-01")) is None
    assert services.is_open("intake_window", world.county1, on=d("2026-08-01")) is False
    with pytest.raises(DomainError, match="工作日历尚未建立"):
        services.require_open("intake_window", world.county1, on=d("2026-08-01"))


@pytest.fixture
def extended(calendar, world):
    """County 2's intake window extended to 9/30."""
    return services.key_date_extend(
        actor=world.users.province_manager,
        key_date=calendar.key_dates.get(code="intake_window"),
        organisation=world.county2,
        end_date=d("2026-09-30"),
        reason="受理点装修，顺延十天",
    )


@pytest.mark.parametrize(
    ("day", "county1_open", "county2_open"),
    [
        ("2026-07-14", False, False),  # day before the window
        ("2026-07-15", True, True),  # first day
        ("2026-09-20", True, True),  # last day (both included)
        ("2026-09-21", False, True),  # day after: only the extended county
        ("2026-09-30", False, True),  # county 2's last day
        ("2026-10-01", False, False),  # day after the extension
    ],
)
def test_intake_window_is_open_at_the_boundaries_notice_8(extended, world, day, county1_open, county2_open):
    """Notice 八 (7月15日至9月20日 现场受理): open on the first and last day, closed the day before and
    after; an extension moves only that county's last day."""
    assert services.is_open("intake_window", world.county1, on=d(day)) is county1_open
    assert services.is_open("intake_window", world.county2, on=d(day)) is county2_open
    assert services.is_open("intake_window", world.county3, on=d(day)) is county1_open


@pytest.mark.parametrize(
    ("day", "is_open"),
    [("2026-10-09", True), ("2026-10-10", True), ("2026-10-11", False)],
)
def test_single_deadline_open_until_the_day_notice_8(calendar, world, day, is_open):
    """Notice 八 (10月10日前 回执录入): a single deadline is open up to and including its day."""
    assert services.is_open("receipt_entry_due", world.university1, on=d(day)) is is_open


def test_deadline_for_honours_extension_notice_8(extended, world):
    """Notice 八: the deadline of a county is the default unless the province extended it for that county."""
    assert services.deadline_for("intake_window", world.county1, year=2026) == d("2026-09-20")
    assert services.deadline_for("intake_window", world.county2, year=2026) == d("2026-09-30")
    assert services.deadline_for("intake_window", world.county2, on=d("2026-08-01")) == d("2026-09-30")
    assert services.deadline_for("archive_due", world.county1, on=d("2027-02-01")) == d("2027-03-31")


def test_require_open_message_has_the_real_dates_notice_8(extended, world):
    """Notice 八: refusing intake outside the window says which window, with the real dates."""
    with pytest.raises(DomainError) as refused:
        services.require_open("intake_window", world.county1, on=d("2026-09-21"), action="受理")
    assert refused.value.message == "不在现场受理期内（7月15日至9月20日），不能受理"
    with pytest.raises(DomainError) as refused:
        services.require_open("intake_window", world.county2, on=d("2026-10-01"), action="受理")
    assert "7月15日至9月30日" in refused.value.message and "延期至9月30日" in refused.value.message
    with pytest.raises(DomainError, match="回执录入已于2026年10月10日截止"):
        services.require_open("receipt_entry_due", world.university1, on=d("2026-10-11"), action="录入回执")
    assert services.require_open("intake_window", world.county2, on=d("2026-09-25")).code == "intake_window"


def test_extension_is_audited_and_replaced_not_duplicated_notice_8(extended, world):
    """Notice 八: a second extension for the same county replaces the first; each is an audit row."""
    services.key_date_extend(
        actor=world.users.province_manager,
        key_date=extended.key_date,
        organisation=world.county2,
        end_date=d("2026-10-05"),
        reason="再次顺延",
    )
    assert KeyDateExtension.objects.filter(organisation=world.county2).count() == 1
    events = AuditEvent.objects.filter(action="key_date.extend").order_by("pk")
    assert [e.new["end_date"] for e in events] == ["2026-09-30", "2026-10-05"]
    assert events.last().old == {"end_date": "2026-09-30"}
    assert events.last().reason == "再次顺延"
    assert events.last().organisation == world.county2


@pytest.mark.parametrize("user", ["province_officer", "city1_manager", "county1_manager", "bank_officer"])
def test_only_province_manager_edits_the_calendar(calendar, world, user):
    """Only the province manager moves dates or extends them; nothing changes otherwise."""
    actor = getattr(world.users, user)
    intake = calendar.key_dates.get(code="intake_window")
    with pytest.raises(PermissionDeniedError):
        services.key_date_extend(
            actor=actor,
            key_date=intake,
            organisation=world.county1,
            end_date=d("2026-09-30"),
            reason="理由充分",
        )
    with pytest.raises(PermissionDeniedError):
        services.key_date_update(
            actor=actor,
            key_date=intake,
            start_date=d("2026-07-15"),
            end_date=d("2026-09-30"),
            reason="理由充分",
        )
    assert not KeyDateExtension.objects.exists()
    assert KeyDate.objects.get(pk=intake.pk).end_date == d("2026-09-20")


def test_extension_rules(calendar, world):
    """An extension is for an organisation of the kind that owes the date, later than the date, with a reason."""
    manager = world.users.province_manager
    intake = calendar.key_dates.get(code="intake_window")
    with pytest.raises(ValidationError) as wrong_kind:
        services.key_date_extend(
            actor=manager,
            key_date=intake,
            organisation=world.university1,
            end_date=d("2026-09-30"),
            reason="理由",
        )
    assert "organisation" in wrong_kind.value.message_dict
    with pytest.raises(ValidationError) as earlier:
        services.key_date_extend(
            actor=manager,
            key_date=intake,
            organisation=world.county1,
            end_date=d("2026-09-20"),
            reason="理由",
        )
    assert "end_date" in earlier.value.message_dict
    with pytest.raises(DomainError, match="原因"):
        services.key_date_extend(
            actor=manager, key_date=intake, organisation=world.county1, end_date=d("2026-09-30"), reason=" "
        )
    assert not KeyDateExtension.objects.exists()


def test_key_date_update_validates_and_audits(calendar, world):
    manager = world.users.province_manager
    kd = calendar.key_dates.get(code="receipt_entry_due")
    with pytest.raises(ValidationError):
        services.key_date_update(
            actor=manager, key_date=kd, start_date=d("2026-10-12"), end_date=d("2026-10-11"), reason="调整"
        )
    services.key_date_update(
        actor=manager,
        key_date=kd,
        start_date=d("2026-10-12"),
        end_date=d("2026-10-12"),
        reminder_days=[1, 14, 7],
        reason="系统升级，顺延两天",
    )
    kd.refresh_from_db()
    assert (kd.end_date, kd.reminder_days) == (d("2026-10-12"), [14, 7, 1])
    event = AuditEvent.objects.get(action="key_date.update")
    assert event.old["end_date"] == "2026-10-10" and event.new["end_date"] == "2026-10-12"
    assert event.reason == "系统升级，顺延两天"


@pytest.mark.parametrize(
    ("on", "status"),
    [
        ("2026-07-14", rules.Status.UPCOMING),
        ("2026-07-15", rules.Status.OPEN),
        ("2026-09-19", rules.Status.OPEN),
        ("2026-09-20", rules.Status.DUE_TODAY),
        ("2026-09-21", rules.Status.PASSED),
    ],
)
def test_key_date_status_of_a_window(on, status):
    assert rules.key_date_status(start=d("2026-07-15"), end=d("2026-09-20"), on=d(on)) == status


def test_reminder_plan_sends_only_the_most_urgent_due_reminder():
    """A late run sends the most urgent reminder whose day has come; older ones are superseded, never sent."""
    deadline = d("2026-10-15")
    assert rules.reminder_plan(deadline=deadline, lead_days=[7, 3, 1], on=d("2026-10-07")) == (None, [])
    assert rules.reminder_plan(deadline=deadline, lead_days=[7, 3, 1], on=d("2026-10-08")) == (7, [])
    assert rules.reminder_plan(deadline=deadline, lead_days=[7, 3, 1], on=d("2026-10-14")) == (1, [3, 7])
    assert rules.reminder_plan(deadline=deadline, lead_days=[7, 3, 1], on=d("2026-10-15")) == (1, [3, 7])
    assert rules.reminder_plan(deadline=deadline, lead_days=[7, 3, 1], on=d("2026-10-16")) == (
        None,
        [1, 3, 7],
    )


def test_chinese_date_formats():
    assert rules.format_date(datetime.date(2026, 7, 5)) == "2026年7月5日"
    assert rules.format_span(d("2026-07-15"), d("2026-09-20")) == "7月15日至9月20日"
    assert rules.format_span(d("2026-12-20"), d("2027-01-05")) == "2026年12月20日至2027年1月5日"


def test_loan_year_year_range(db):
    with pytest.raises(ValidationError):
        LoanYear(year=1999).full_clean()


@pytest.mark.parametrize(
    ("day", "county1_open", "county2_open", "county2_status"),
    [
        ("2027-03-01", True, True, rules.Status.OPEN),
        ("2027-03-31", True, True, rules.Status.OPEN),
        ("2027-04-01", False, True, rules.Status.OPEN),
        ("2027-04-15", False, True, rules.Status.DUE_TODAY),
        ("2027-04-16", False, False, rules.Status.PASSED),
    ],
)
def test_extended_single_deadline_stays_a_deadline_notice_8(
    calendar, world, day, county1_open, county2_open, county2_status
):
    """Notice 八 (次年3月底前 归档): a single deadline extended for county 2 to 4/15 is open until 4/15 for
    county 2 only, and does not turn into a window that "starts" on 3/31."""
    from deadlines import selectors

    services.key_date_extend(
        actor=world.users.province_manager,
        key_date=calendar.key_dates.get(code="archive_due"),
        organisation=world.county2,
        end_date=d("2027-04-15"),
        reason="档案室搬迁",
    )
    services.loan_year_ensure(year=2027)  # 2027-04-01 onwards belongs to loan year 2027
    assert services.is_open("archive_due", world.county1, on=d(day), year=2026) is county1_open
    assert services.is_open("archive_due", world.county2, on=d(day), year=2026) is county2_open
    # without a year: the loan year of the day, or county 2's running extension of 2026's date
    in_2027 = d(day) >= d(
        "2027-04-01"
    )  # from 4/1 the day belongs to 2027, whose archive (3/31/2028) is ahead
    assert services.is_open("archive_due", world.county2, on=d(day)) is (county2_open or in_2027)
    assert services.is_open("archive_due", world.county1, on=d(day)) is (county1_open or in_2027)
    expected = d("2027-04-15") if d(day) <= d("2027-04-15") else d("2028-03-31")
    assert services.deadline_for("archive_due", world.county2, on=d(day)) == expected
    assert services.deadline_for("archive_due", world.county1, on=d(day)) == (
        d("2028-03-31") if in_2027 else d("2027-03-31")
    )
    rows = selectors.calendar_rows(
        user=world.users.county2_staff, loan_year=calendar, on=d(day), with_owing=False
    )
    archive = next(row for row in rows if row.key_date.code == "archive_due")
    assert archive.mine.status == county2_status
