"""Celery tasks of the export service. Thin: load by pk, call the service; idempotent by state."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=50 * 60, time_limit=55 * 60)
def export_generate_task(pk: int) -> int | None:
    """Generate one approved export's file (a redelivered or duplicate message finds nothing to do)."""
    from .services import export_generate

    export = export_generate(pk=pk)
    return export.row_count if export else None


@shared_task(acks_late=True, soft_time_limit=10 * 60, time_limit=12 * 60)
def exports_sweep_task() -> dict:
    """Every 5 minutes (beat): expire used-up or overdue files; re-dispatch export and import jobs that never reached a
    worker or whose worker died."""
    from loanportal.imports.jobs import import_jobs_sweep

    from .services import exports_sweep

    return {**exports_sweep(), "imports_dispatched": import_jobs_sweep()}
