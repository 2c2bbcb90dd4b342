"""Celery task of the import jobs. Thin: load by pk, call the service; idempotent by state."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=50 * 60, time_limit=55 * 60)
def import_job_task(pk: int) -> str | None:
    """Run one import job (a redelivered or duplicate message finds nothing to do)."""
    from .jobs import import_job_run

    job = import_job_run(pk=pk)
    return job.status if job else None
