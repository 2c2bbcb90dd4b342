"""Celery tasks of the core: the audit sealer and the daily checkpoint. Thin; idempotent."""

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


# The export service's jobs (loanportal.exports.tasks), found by autodiscovery through this module.
from .exports.tasks import export_generate_task, exports_sweep_task  # noqa: E402,F401

# The import jobs (loanportal.imports.tasks), found the same way.
from .imports.tasks import import_job_task  # noqa: E402,F401
