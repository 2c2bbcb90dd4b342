"""The daily calendar job through a REAL Celery worker consuming from Redis (not eager), notice 八.

An in-process worker thread (celery.contrib.testing.worker.start_worker) consumes a queue of its own on
the broker from CELERY_BROKER_URL; the database is committed (transactional) so the worker thread sees it.
"""

import os
import time
import uuid

import pytest
from django.conf import settings
from django.db import connections

from deadlines import registry, services
from deadlines.models import CalendarRun, EnforcementRun
from deadlines.tasks import run_calendar_daily
from loanportal.models import AuditEvent

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
)

BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"),
        reason="needs a real Celery broker: set CELERY_BROKER_URL=redis://… (CI does)",
    ),
]


@pytest.fixture
def worker(live_world, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from loanportal.celery import app

    monkeypatch.setattr(registry, "_enforcements", {})
    monkeypatch.setattr(registry, "_obligations", {})
    registry.register_enforcement(TEST_CLOSE, enforcement_handler)
    registry.register_enforcement(TEST_ABANDON, enforcement_handler)
    registry.register_obligation("receipt_confirm_due", Counter())

    queue = f"deadlines-test-{uuid.uuid4().hex[:8]}"  # our own queue: parallel test processes share Redis
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER
    # The worker thread's database connection must close after each task, or the test database cannot be
    # flushed and dropped afterwards.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
        yield queue
    app.conf.task_always_eager, app.conf.broker_url = previous


def run_on_worker(queue: str, day, *, timeout: float = 60.0) -> None:
    """Send the daily task for `day` to the worker and wait until its run is recorded."""
    before = CalendarRun.objects.filter(as_of=day).values_list("runs", flat=True).first() or 0
    run_calendar_daily.apply_async(kwargs={"as_of": day.isoformat()}, queue=queue)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = CalendarRun.objects.filter(as_of=day).first()
        if run is not None and run.runs > before and run.finished_at is not None:
            return
        time.sleep(0.05)
    pytest.fail(f"the worker did not run the calendar for {day} within {timeout}s")


def test_settings_point_at_redis_not_eager():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_worker_runs_the_daily_job_and_enforces_once_notice_8(worker, live_world):
    """Notice 八 (7月15日至9月20日 现场受理): the worker closes intake on 9/21, once, even when the job is
    delivered three times."""
    setup_calendar(live_world)
    for _ in range(3):
        run_on_worker(worker, d("2026-09-21"))
    assert set(EnforcementRun.objects.values_list("organisation__code", flat=True)) == {
        live_world.county1.code,
        live_world.county2.code,
        live_world.county3.code,
    }
    assert AuditEvent.objects.filter(action="calendar.enforce").count() == 3
    assert (
        AuditEvent.objects.filter(action="test.enforced").count() == 5
    )  # every student of the 3 counties once
    assert CalendarRun.objects.get(as_of=d("2026-09-21")).runs == 3


def test_worker_late_and_repeated_runs_equal_on_time_runs_notice_8(worker, live_world):
    """Notice 八: through the real worker, daily runs on time and runs with an outage (10/8–10/13) followed
    by a repeated catch-up run on 10/14 leave the same enforcement rows and the same audit rows; no reminder
    is ever sent twice and none is sent late."""
    loan_year = setup_calendar(live_world)
    services.key_date_extend(
        actor=live_world.users.province_manager,
        key_date=loan_year.key_dates.get(code="intake_window"),
        organisation=live_world.county2,
        end_date=d("2026-10-09"),
        reason="受理点装修，顺延",
    )
    marker = last_audit_pk()
    for day in days("2026-09-19", "2026-10-16"):
        run_on_worker(worker, day)
    on_time = (enforcement_state(), audit_state(marker), reminder_state(), sent_notifications())
    assert len(on_time[0]) == 6  # intake for 3 counties, receipt entry for 3 universities

    reset_calendar_records()
    marker = last_audit_pk()
    for day in days("2026-09-19", "2026-10-07"):
        run_on_worker(worker, day)
    run_on_worker(worker, d("2026-10-14"))
    run_on_worker(worker, d("2026-10-14"))
    for day in days("2026-10-15", "2026-10-16"):
        run_on_worker(worker, day)
    late = (enforcement_state(), audit_state(marker), reminder_state(), sent_notifications())

    assert late[0] == on_time[0]
    assert late[1] == on_time[1]
    assert set(late[3]) <= set(on_time[3])
    assert len(late[3]) == len(set(late[3]))
    # the only differences are reminders whose day fell in the outage
    differing = {key for key in on_time[2] if late[2].get(key) != on_time[2][key]}
    assert differing and all(d("2026-10-08") <= key[2] - _lead(key) <= d("2026-10-13") for key in differing)


def _lead(key):
    import datetime

    return datetime.timedelta(days=key[3])
