"""Celery tasks of the calendar: thin, idempotent, retried only on transient database errors."""

import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone


@shared_task(
    name="deadlines.tasks.run_calendar_daily",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=15 * 60,
    max_retries=8,
    soft_time_limit=20 * 60,
    time_limit=25 * 60,
)
def run_calendar_daily(as_of: str | None = None) -> dict:
    """The daily calendar job (beat, 01:30 Asia/Shanghai): reminders and enforcement up to today.

    Catches up by itself: whatever is due up to `as_of` and not yet done is done now, once."""
    from .services import calendar_run

    day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
    report = calendar_run(as_of=day, dry_run=False)
    return {"as_of": day.isoformat(), "enforced": report.enforced, "reminders_sent": report.reminders_sent}
