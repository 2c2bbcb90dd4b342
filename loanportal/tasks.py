"""Celery tasks of the core: the audit sealer, the daily checkpoint and the notification e-mail outbox.
Thin; idempotent."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=4 * 60, time_limit=5 * 60)
def audit_seal_pending() -> int:
    """封存: seal every committed audit row not yet sealed (requests seal their own rows right after
    commit; this catches any left behind). Returns how many rows were sealed."""
    from loanportal.audit import audit_seal_recent

    return audit_seal_recent()


@shared_task(acks_late=True, soft_time_limit=20 * 60, time_limit=25 * 60)
def audit_checkpoint_daily() -> int | None:
    """检查点: seal, then write the latest sealed hash, signed, outside the database
    (AUDIT_CHECKPOINT_DIR). Returns the sequence number written."""
    from loanportal.audit import audit_checkpoint

    record = audit_checkpoint()
    return record["seq"] if record else None


@shared_task(acks_late=True, bind=True, max_retries=5, soft_time_limit=4 * 60, time_limit=5 * 60)
def notification_emails_send_task(self, pks: list[int]) -> int:
    """Send the e-mails of notifications just recorded (the outbox). A failed send is retried with
    backoff (1, 2, 4, 8, 16 minutes), then left to the sweep; a sent one is never sent again.
    Returns how many are still pending."""
    from loanportal.services import notification_emails_send

    retry = notification_emails_send(pks=pks)
    if retry and not self.request.is_eager:  # eager (no broker): the sweep retries, not the request
        raise self.retry(args=[retry], countdown=60 * 2**self.request.retries)
    return len(retry)


@shared_task(acks_late=True, soft_time_limit=8 * 60, time_limit=10 * 60)
def notification_emails_sweep_task() -> dict:
    """Every 5 minutes (beat): send the notification e-mails still pending (broker was down, SMTP failed)."""
    from loanportal.services import notification_emails_sweep

    return notification_emails_sweep()


# The export service's jobs (loanportal.exports.tasks), found by autodiscovery through this module.
from .exports.tasks import export_generate_task, exports_sweep_task  # noqa: E402,F401

# The import jobs (loanportal.imports.tasks), found the same way.
from .imports.tasks import import_job_task  # noqa: E402,F401
