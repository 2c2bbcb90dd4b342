"""The calendar engine (notice 八): enforcement once per key date and organisation, reminders at most once,
idempotent and catching up after an outage, dry run writing nothing."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from deadlines import registry, services
from deadlines.models import CalendarRun, EnforcementRun, KeyDate, Reminder, ReminderStatus
from loanportal.models import AuditEvent, Notification

from .factories_deadlines import (
    TEST_ABANDON,
    TEST_CLOSE,
    Counter,
    audit_state,
    d,
    days,
    enforcement_handler,
    enforcement_state,
    last_audit_pk,
    reminder_state,
    reset_calendar_records,
    sent_notifications,
    setup_calendar,
    table_counts,
)
from .migration_steps import rerun_migration_step


@pytest.fixture
def counter(monkeypatch):
    """Isolate the registry: only the test's handlers and counter, whatever other apps registered."""
    monkeypatch.setattr(registry, "_enforcements", {})
    monkeypatch.setattr(registry, "_obligations", {})
    registry.register_enforcement(TEST_CLOSE, enforcement_handler)
    registry.register_enforcement(TEST_ABANDON, enforcement_handler)
    counter = Counter()
    registry.register_obligation("receipt_confirm_due", counter)
    registry.register_obligation("receipt_entry_due", counter)
    return counter


@pytest.fixture
def calendar(world, counter):
    loan_year = setup_calendar(world)
    services.key_date_extend(
        actor=world.users.province_manager,
        key_date=loan_year.key_dates.get(code="intake_window"),
        organisation=world.county2,
        end_date=d("2026-10-09"),
        reason="受理点装修，顺延",
    )
    return loan_year


def test_enforcement_runs_the_day_after_the_deadline_once_notice_8(calendar, world):
    """Notice 八 (7月15日至9月20日): intake closes for a county the day after its (extended) last day,
    exactly once, whatever the number of runs."""
    services.calendar_run(as_of=d("2026-09-20"))
    assert not EnforcementRun.objects.exists()
    services.calendar_run(as_of=d("2026-09-21"))
    closed = set(EnforcementRun.objects.values_list("organisation__code", flat=True))
    assert closed == {world.county1.code, world.county3.code}  # county 2 is extended to 10/9
    touched = AuditEvent.objects.filter(action="test.enforced").count()
    assert touched == 4  # county 1 and county 3 have two students each
    services.calendar_run(as_of=d("2026-09-21"))
    services.calendar_run(as_of=d("2026-09-22"))
    assert EnforcementRun.objects.count() == 2
    assert AuditEvent.objects.filter(action="test.enforced").count() == touched
    services.calendar_run(as_of=d("2026-10-10"))
    run = EnforcementRun.objects.get(organisation=world.county2)
    assert (run.deadline, run.due_on, run.run_on, run.touched) == (
        d("2026-10-09"),
        d("2026-10-10"),
        d("2026-10-10"),
        1,
    )
    event = AuditEvent.objects.get(action="calendar.enforce", organisation=world.county2)
    assert event.new["deadline"] == "2026-10-09" and event.new["touched"] == 1


def test_receipt_entry_enforced_per_university_notice_8(calendar, world):
    """Notice 八 (10月10日前 回执录入, 逾期视为放弃): enforced on 10/11 for each university."""
    services.calendar_run(as_of=d("2026-10-11"))
    universities = set(
        EnforcementRun.objects.filter(key_date__code="receipt_entry_due").values_list(
            "organisation__code", flat=True
        )
    )
    assert universities == {world.university1.code, world.university2.code, world.university4.code}


def _run_days(*ranges):
    for first, last in ranges:
        for day in days(first, last):
            services.calendar_run(as_of=day)


def test_run_twice_a_day_gives_the_same_state_notice_8(calendar, world):
    """Notice 八: the daily job run twice on every day leaves exactly the state of one run a day."""
    _run_days(("2026-09-10", "2026-10-16"))
    once = (enforcement_state(), audit_state(), reminder_state(), sent_notifications())
    counts = table_counts()
    for day in days("2026-09-10", "2026-10-16"):
        services.calendar_run(as_of=day)
    assert (enforcement_state(), audit_state(), reminder_state(), sent_notifications()) == once
    counts_after = table_counts()
    assert counts_after == counts
    assert CalendarRun.objects.get(as_of=d("2026-10-16")).runs == 2


def test_late_run_after_outage_catches_up_notice_8(calendar, world):
    """Notice 八: workers down 10/8–10/13, run on 10/14 (twice): every enforcement once, with the same rows
    and audit as on-time daily runs; reminders at most once, the missed ones superseded, never sent late."""
    marker = last_audit_pk()
    _run_days(("2026-09-15", "2026-10-16"))
    on_time = (enforcement_state(), audit_state(marker), reminder_state(), sent_notifications())

    reset_calendar_records()
    marker = last_audit_pk()
    _run_days(("2026-09-15", "2026-10-07"))
    services.calendar_run(as_of=d("2026-10-14"))
    services.calendar_run(as_of=d("2026-10-14"))
    _run_days(("2026-10-15", "2026-10-16"))
    late = (enforcement_state(), audit_state(marker), reminder_state(), sent_notifications())

    assert late[0] == on_time[0]  # county 2 (10/10) and the universities (10/11) enforced on 10/14
    assert late[1] == on_time[1]  # same audit rows: each enforcement and each touched row once
    assert len(late[0]) == 2 + 1 + 3

    # Reminders: the city summary (10/15) was due 10/8 (7 days), 10/12 (3) and 10/14 (1). On time all
    # three were sent; the late run sends only the 1-day one and records 7 and 3 as superseded.
    city = world.city1.code
    assert [on_time[2][("city_summary_due", city, d("2026-10-15"), lead)] for lead in (7, 3, 1)] == [
        "sent"
    ] * 3
    assert [late[2][("city_summary_due", city, d("2026-10-15"), lead)] for lead in (7, 3, 1)] == [
        ReminderStatus.SUPERSEDED,
        ReminderStatus.SUPERSEDED,
        ReminderStatus.SENT,
    ]
    # The counties' receipt confirmation (10/10): the 1-day reminder (10/9) fell in the outage and its
    # deadline has passed by 10/14, so it is not sent at all.
    assert ("receipt_confirm_due", world.county1.code, d("2026-10-10"), 1) not in late[2]
    # Never more than on time, never twice.
    assert set(late[3]) <= set(on_time[3])
    assert len(late[3]) == len(set(late[3]))
    keys = Notification.objects.filter(category="calendar").values_list("recipient", "dedupe_key")
    assert len(keys) == len(set(keys))


def test_reminders_go_to_organisations_that_still_owe_work_notice_8(
    calendar, world, counter, eager, django_capture_on_commit_callbacks
):
    """Notice 八 (10月10日前 回执确认): 7 days before, counties with open items get an in-app notification
    and an e-mail with a link; a county with nothing open gets none."""
    world.users.county1_staff.email = "county1@example.invalid"
    world.users.county1_staff.save()
    counter.overrides[world.county3.pk] = 0
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_run(as_of=d("2026-10-03"))
    notes = Notification.objects.filter(category="calendar", dedupe_key__contains=":20261010:7")
    recipients = set(notes.values_list("recipient__username", flat=True))
    assert {"county1_staff", "county1_manager", "county2_staff"} <= recipients
    assert "county3_staff" not in recipients
    note = notes.get(recipient=world.users.county1_staff)
    assert "还有7天截止" in note.title and "2项未完成" in note.body and note.url == "/students/"
    reminder = Reminder.objects.get(
        key_date__code="receipt_confirm_due", organisation=world.county3, lead_days=7
    )
    assert reminder.status == ReminderStatus.NOTHING_OWED and reminder.recipients == 0
    assert [m.to for m in mail.outbox if "电子回执确认" in m.subject] == [["county1@example.invalid"]]
    assert "/students/" in mail.outbox[0].body


def test_without_counter_every_organisation_of_the_kind_is_reminded_notice_8(calendar, world):
    """Notice 八 (10月15日前 汇总表报送): no counter registered → every city is reminded, once."""
    services.calendar_run(as_of=d("2026-10-08"))
    services.calendar_run(as_of=d("2026-10-08"))
    notes = Notification.objects.filter(category="calendar", dedupe_key__contains=":20261015:7")
    assert set(notes.values_list("recipient__username", flat=True)) == {"city1_manager"}
    assert notes.count() == 1
    assert notes.get().url == "/calendar/"
    assert Reminder.objects.get(organisation=world.city2, lead_days=7).status == ReminderStatus.SENT


def test_extension_brings_new_reminders_for_the_new_date_notice_8(calendar, world):
    """Notice 八: county 2's intake window ends 10/9 instead of 9/20, so it is reminded before 10/9."""
    services.calendar_run(as_of=d("2026-09-13"))
    assert Reminder.objects.filter(
        key_date__code="intake_window", organisation=world.county1, lead_days=7
    ).exists()
    assert not Reminder.objects.filter(key_date__code="intake_window", organisation=world.county2).exists()
    services.calendar_run(as_of=d("2026-10-02"))
    reminder = Reminder.objects.get(key_date__code="intake_window", organisation=world.county2)
    assert (reminder.deadline, reminder.lead_days, reminder.status) == (
        d("2026-10-09"),
        7,
        ReminderStatus.SENT,
    )


def test_dry_run_writes_nothing_and_lists_what_the_real_run_does_notice_8(calendar, world):
    """Notice 八: `run_calendar --dry-run` changes no row in any table and prints exactly what the real run
    then does (reminders with counts, every enforcement with the objects it touches)."""
    services.calendar_run(as_of=d("2026-09-01"))
    before = table_counts()
    out = io.StringIO()
    call_command("run_calendar", "--as-of", "2026-10-14", "--dry-run", stdout=out)
    assert table_counts() == before
    listing = out.getvalue().splitlines()
    assert "预演" in listing[0]
    assert any("现场受理期" in line and world.county2.name in line for line in listing)
    assert any(world.students.c2_u2.name in line for line in listing)  # the object it would touch
    assert any("汇总表报送" in line and "还有1天截止" in line for line in listing)

    report = services.calendar_run(as_of=d("2026-10-14"))
    real = "\n".join(report.lines()).splitlines()
    assert "执行" in real[0]
    assert listing[1:-1] == real[1:]  # same reminders and enforcements, line for line
    assert EnforcementRun.objects.filter(run_on=d("2026-10-14")).count() == len(report.enforcements) == 6
    out = io.StringIO()
    call_command("run_calendar", "--as-of", "2026-10-14", "--dry-run", stdout=out)
    assert "没有需要提醒或处理的事项" in out.getvalue()


def test_unregistered_action_waits_and_is_caught_up_later_notice_8(calendar, world):
    """An enforcement whose handler no app has registered yet is not recorded as done: once registered,
    the next run does it."""
    registry.unregister_enforcement(TEST_ABANDON)
    report = services.calendar_run(as_of=d("2026-10-12"))
    waiting = [line for line in report.enforcements if not line.registered]
    assert len(waiting) == 3 and "尚未登记" in waiting[0].text()
    assert not EnforcementRun.objects.filter(key_date__code="receipt_entry_due").exists()
    registry.register_enforcement(TEST_ABANDON, enforcement_handler)
    services.calendar_run(as_of=d("2026-10-13"))
    assert EnforcementRun.objects.filter(key_date__code="receipt_entry_due").count() == 3


def test_failing_handler_does_not_stop_the_others_and_retries(calendar, world):
    """One handler failing rolls back only its own enforcement; the next run retries it."""
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if kwargs["organisation"] == world.county1 and calls["n"] < 3:
            raise RuntimeError("临时故障")
        return enforcement_handler(**kwargs)

    registry.register_enforcement(TEST_CLOSE, flaky)
    report = services.calendar_run(as_of=d("2026-09-21"))
    assert [line.error for line in report.enforcements if line.error] == ["临时故障"]
    assert set(EnforcementRun.objects.values_list("organisation__code", flat=True)) == {world.county3.code}
    assert not AuditEvent.objects.filter(action="test.enforced", organisation=world.county1).exists()
    services.calendar_run(as_of=d("2026-09-22"))
    assert EnforcementRun.objects.filter(organisation=world.county1).exists()


def test_only_recent_loan_years_are_looked_at(calendar, world):
    """A run looks at the loan years around its day, so an old loan year does not grow rows forever."""
    old = services.loan_year_ensure(year=2022)
    KeyDate.objects.filter(loan_year=old, code="intake_window").update(enforcement_action=TEST_CLOSE)
    services.calendar_run(as_of=d("2026-10-14"))
    assert not EnforcementRun.objects.filter(key_date__loan_year=old).exists()
    assert not Reminder.objects.filter(key_date__loan_year=old).exists()


def test_daily_schedule_is_in_beat_notice_8(db):
    """Notice 八: the daily job is scheduled in django-celery-beat at 01:30 Asia/Shanghai (migration),
    and `calendar_ensure` keeps exactly one entry."""
    from django_celery_beat.models import PeriodicTask

    from deadlines.tasks import run_calendar_daily

    rerun_migration_step("deadlines", "0002_daily_schedule", "create_schedule")  # see migration_steps
    rerun_migration_step("deadlines", "0003_calendar_catch_up", "create_schedule")
    task = PeriodicTask.objects.get(name=services.DAILY_TASK_NAME)
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "1",
        "30",
        "Asia/Shanghai",
    )
    assert task.enabled
    assert run_calendar_daily.name == task.task
    assert run_calendar_daily.acks_late and run_calendar_daily.reject_on_worker_lost
    assert run_calendar_daily.time_limit and run_calendar_daily.soft_time_limit
    call_command("calendar_ensure", "--year", "2026", stdout=io.StringIO())
    call_command("calendar_ensure", "--year", "2026", stdout=io.StringIO())
    # the daily run and the hourly catch-up (issue 9 check 8: a run beat could not publish while Redis was
    # down is made up within the hour); each entry exactly once
    entries = PeriodicTask.objects.filter(task="deadlines.tasks.run_calendar_daily")
    assert sorted(entries.values_list("name", flat=True)) == sorted(
        [services.DAILY_TASK_NAME, services.CATCH_UP_TASK_NAME]
    )
    catch_up = entries.get(name=services.CATCH_UP_TASK_NAME)
    assert (catch_up.crontab.hour, catch_up.crontab.minute, catch_up.enabled) == ("2-23", "45", True)
    assert KeyDate.objects.filter(loan_year__year=2026).count() == 9
