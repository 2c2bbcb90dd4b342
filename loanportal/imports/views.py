"""What every import page does with a large upload: hand it to a background job (导入任务)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ..errors import DomainError
from .checks import precheck_upload
from .jobs import import_job_create, import_job_wanted
from .selectors import import_job_get


def import_job_redirect(
    request, *, kind: str, year: int, file, page: str, precheck=precheck_upload
) -> HttpResponse | None:
    """A large upload (import_job_wanted) is recorded as a job of `kind`, the user is told, and the answer
    is the redirect to the job's page (`page`: a URL name taking the job's pk). None for an upload small
    enough to be imported at once, which the page then imports itself — and for a file `precheck` refuses
    (a .xls, .xlsm or renamed file, one over the size limit): no job, the page's own import refuses it at
    once, before reading it. `precheck=None` when the kind has checked the file itself (the ledger)."""
    if not import_job_wanted(file):
        return None
    if precheck is not None:
        try:
            precheck(file)  # name, content type, size, magic bytes: read before any job is recorded
        except DomainError:
            return None  # the page imports it at once, and its check_upload refuses it with the same words
    job = import_job_create(
        actor=request.user, kind=kind, organisation=request.user.organisation, year=year, file=file
    )
    messages.info(request, "文件较大，已转入后台导入；完成后会通知您")
    return redirect(page, pk=job.pk)


def import_job_page(
    request, pk: int, *, kind: str, title: str, status_url: str, back_url: str, partial=False
):
    """The job's page (or, `partial`, its status block polled by htmx): progress, outcome and, for imports
    without a batch of their own, the refused file's errors. Only the uploader's own job of `kind` (404)."""
    job = import_job_get(user=request.user, pk=pk, kind=kind)
    return render(
        request,
        "imports/_job_status.html" if partial else "imports/job.html",
        {
            "job": job,
            "title": title,
            "status_url": status_url,
            "back_url": back_url,
            "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS,
        },
    )
