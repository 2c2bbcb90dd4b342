"""Celery tasks of the applications app. Thin: load, call a service; idempotent."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, soft_time_limit=20 * 60, time_limit=25 * 60)
def queue_snapshots_daily(on: str | None = None) -> int:
    """预警机制 (notice 四(十一)): compute every county's queue snapshot of the day (idempotent per county
    and date; warnings are deduplicated). Returns the number of counties computed."""
    import datetime

    from applications.services.queue_warnings import queue_snapshots_compute_all

    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return queue_snapshots_compute_all(on=day)
