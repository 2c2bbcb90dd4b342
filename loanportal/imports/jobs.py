"""Import jobs (导入任务): a large upload is saved and recorded first, then imported by a Celery job.

Dispatched on commit; a failed publish (broker down) is logged and the sweep dispatches it later. The job is
idempotent by state and, on PostgreSQL, holds an advisory lock while it runs: a duplicate message does
nothing while a live worker runs it, and takes over at once when that worker died (kill -9). The import
itself (all-or-nothing, row-level error report) is the kind's own service, called with a progress callback.
"""

import datetime
import logging
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from loanportal.dispatch import publish_on_commit
from loanportal.errors import DomainError

from .checks import precheck_upload
from .models import ImportJob, ImportJobStatus

logger = logging.getLogger(__name__)
S = ImportJobStatus
JOB_LOCK_CLASS = 7110  # first key of the advisory lock a running import job holds
STALE_MINUTES = 10  # without advisory locks: a running job whose progress stopped this long is taken over
# kind → the service that runs it: runner(job=, file=, progress=) → (status, batch_id, message)
RUNNERS = {
    "pre_applications": "applications.services.preapplications.pre_application_import_job",
    "bank_status": "applications.services.yearend.bank_status_import_job",
    "renewals": "renewals.renewal_import.renewal_import_job",
    "ledger": "repayment_relief.ledger_import.ledger_import_job",
    "fee_standards": "renewals.fee_import.fee_standard_import_job",
    "receipts": "applications.services.lifecycle.receipts.receipt_import_job",
}
# kind → the job's page (progress, outcome)
PAGES = {
    "pre_applications": "preapplication-import-job",
    "bank_status": "bank-status-import-job",
    "renewals": "renewal-import-job",
    "ledger": "relief-ledger-import-job",
    "fee_standards": "fee-standard-import-job",
    "receipts": "application-receipt-import-job",
}
TITLES = {
    "pre_applications": "名单导入",
    "bank_status": "银行审批放款表导入",
    "renewals": "续贷声明导入",
    "ledger": "贷款台账导入",
    "fee_standards": "收费标准导入",
    "receipts": "回执码清单导入",
}  # kind → the notification's words


def import_job_rejected(*, job, exc) -> tuple[str, None, str]:
    """A runner's outcome for a refused file of an import without a batch of its own: the row errors
    (ImportRejected) are kept on the job for its page; → (status, batch pk, message)."""
    from .service import STORED_ERRORS_LIMIT, ImportRejected

    if isinstance(exc, ImportRejected):
        errors = [error.as_dict() for error in exc.errors[:STORED_ERRORS_LIMIT]]
        ImportJob.objects.filter(pk=job.pk).update(errors=errors)
    return S.REJECTED, None, exc.message


def import_job_root() -> Path:
    root = Path(settings.IMPORT_JOB_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def import_job_wanted(file) -> bool:
    """Whether an upload is large enough to be imported in the background."""
    return (getattr(file, "size", 0) or 0) >= settings.IMPORT_JOB_MIN_BYTES


def import_job_for_upload(*, actor, kind: str, year: int, file, precheck=precheck_upload) -> ImportJob | None:
    """The one rule of the pages and the API for an upload: a large one (import_job_wanted) that `precheck`
    accepts (name, content type, size, magic bytes — read before any job is recorded) becomes a job of
    `kind` for the actor's organisation. None for a small upload, imported at once by its page or endpoint,
    and for one `precheck` refuses (a .xls, .xlsm or renamed file, one over the size limit): no job, the
    import itself refuses it at once with the same words. `precheck=None` when the kind has checked the
    file itself (the ledger)."""
    if not import_job_wanted(file):
        return None
    if precheck is not None:
        try:
            precheck(file)
        except DomainError:
            return None
    return import_job_create(actor=actor, kind=kind, organisation=actor.organisation, year=year, file=file)


def import_job_create(*, actor, kind: str, organisation, year: int, file) -> ImportJob:
    """Record the job and save its file, then dispatch it after commit (the row exists before any message)."""
    if kind not in RUNNERS:
        raise ValueError(f"no import runner for {kind!r}")
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            created_by=actor,
            organisation=organisation,
            year=year,
            file_name=str(getattr(file, "name", "") or "upload.xlsx")[:200],
            content_type=str(getattr(file, "content_type", "") or "")[:200],
            file_size=getattr(file, "size", 0) or 0,
        )
        path = import_job_root() / f"import-{job.pk}.upload"
        with open(path, "wb") as handle:
            for chunk in file.chunks() if hasattr(file, "chunks") else [file.read()]:
                handle.write(chunk)
        job.file_path = path.name
        job.save(update_fields=["file_path", "updated_at"])
        _dispatch(job.pk)
    return job


def _dispatch(pk: int, *, force: bool = False) -> None:
    """Publish after commit; broker down → the job waits in `queued` for the sweep (loanportal.dispatch)."""
    from .tasks import import_job_task

    publish_on_commit(import_job_task, pk, what=f"import job {pk}", force=force)


def _lock(pk: int) -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, pk])
        return bool(cursor.fetchone()[0])


def _unlock(pk: int) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCK_CLASS, pk])
    except DatabaseError:
        logger.warning("import job %s: could not release the job lock", pk, exc_info=True)


def _alive(pk: int) -> bool:
    if connection.vendor != "postgresql":
        return False
    if _lock(pk):
        _unlock(pk)
        return False
    return True


def _claim(pk: int) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=pk).first()
        if job is None:
            return None
        stale = timezone.now() - datetime.timedelta(minutes=STALE_MINUTES)
        if job.status == S.QUEUED or (
            job.status == S.RUNNING and (connection.vendor == "postgresql" or job.updated_at < stale)
        ):
            job.status, job.rows_done = S.RUNNING, 0
            job.save(update_fields=["status", "rows_done", "updated_at"])
            return job
        return None


def import_job_run(*, pk: int) -> ImportJob | None:
    """The job's body: run the kind's import on the saved file with progress; record the outcome, notify the
    uploader, delete the file. Idempotent by state (a finished job is never run again)."""
    if not _lock(pk):
        logger.info("import job %s: a live worker is running it, nothing to do", pk)
        return None
    try:
        return _run(pk)
    finally:
        _unlock(pk)


def _run(pk: int) -> ImportJob | None:
    from loanportal.services import notification_send

    job = _claim(pk)
    if job is None:
        return None
    path = import_job_root() / job.file_path

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=pk).update(rows_done=done, total_rows=total, updated_at=timezone.now())

    runner = import_string(RUNNERS[job.kind])
    failure = None
    try:
        with open(path, "rb") as handle:
            upload = UploadedFile(
                file=handle, name=job.file_name, content_type=job.content_type, size=job.file_size
            )
            status, batch_id, message = runner(job=job, file=upload, progress=progress)
    except Exception as exc:
        logger.exception("import job %s failed", pk)
        failure = exc
        status, batch_id, message = S.FAILED, None, "导入失败，请稍后重新上传或联系管理员"
    with transaction.atomic():  # the outcome and its notification together
        job = ImportJob.objects.select_for_update().get(pk=pk)
        job.status, job.batch_id = status, batch_id
        job.message = message[:300]  # the user's message; a failure's details are in the log
        if status in (S.DONE, S.REJECTED) and job.rows_done:
            # the runner's last progress call is the exact count of data rows read: done == total
            job.total_rows = job.rows_done
        job.save()
        notification_send(
            recipients=[job.created_by],
            title=f"{TITLES.get(job.kind, '导入')}{job.get_status_display()}：{job.file_name}",
            body=message,
            url=reverse(PAGES[job.kind], args=[job.pk]),
            category="import",
            level={S.DONE: "success", S.REJECTED: "warning"}.get(status, "danger"),
            dedupe_key=f"import-job-{job.pk}-{status}",
            email=False,
        )
    path.unlink(missing_ok=True)
    if failure is not None:
        raise failure
    return job


def import_jobs_sweep() -> int:
    """Dispatch queued jobs that never reached a worker and running ones whose worker died. Idempotent."""
    now = timezone.now()
    stale = now - datetime.timedelta(minutes=STALE_MINUTES)
    waiting = ImportJob.objects.filter(
        Q(status=S.QUEUED, updated_at__lt=now - datetime.timedelta(minutes=2))
        | Q(status=S.RUNNING, updated_at__lt=stale)
    ).values_list("pk", flat=True)
    dispatched = 0
    for pk in waiting:
        _dispatch(pk, force=True)
        dispatched += 1
    for pk in ImportJob.objects.filter(status=S.RUNNING, updated_at__gte=stale).values_list("pk", flat=True):
        if not _alive(pk):
            _dispatch(pk, force=True)
            dispatched += 1
    return dispatched
