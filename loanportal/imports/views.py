"""What every import page does with a large upload: hand it to a background job (导入任务)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from .jobs import import_job_create, import_job_wanted


def import_job_redirect(request, *, kind: str, year: int, file, page: str) -> HttpResponse | None:
    """A large upload (import_job_wanted) is recorded as a job of `kind`, the user is told, and the answer
    is the redirect to the job's page (`page`: a URL name taking the job's pk). None for an upload small
    enough to be imported at once, which the page then imports itself."""
    if not import_job_wanted(file):
        return None
    job = import_job_create(
        actor=request.user, kind=kind, organisation=request.user.organisation, year=year, file=file
    )
    messages.info(request, "文件较大，已转入后台导入；完成后会通知您")
    return redirect(page, pk=job.pk)
