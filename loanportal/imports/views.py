"""What every import page does with a large upload: hand it to a background job (导入任务)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from .checks import precheck_upload
from .jobs import import_job_for_upload
from .selectors import import_job_get


def import_job_redirect(
    request, *, kind: str, year: int, file, page: str, precheck=precheck_upload
) -> HttpResponse | None:
    """A large upload becomes a job of `kind` (jobs.import_job_for_upload: the rule and its `precheck`), the
    user is told, and the answer is the redirect to the job's page (`page`: a URL name taking the job's pk).
    None when the page imports (or refuses) the upload itself, at once."""
    job = import_job_for_upload(actor=request.user, kind=kind, year=year, file=file, precheck=precheck)
    if job is None:
        return None
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
