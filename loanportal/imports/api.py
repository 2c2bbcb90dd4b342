"""What every import endpoint of the API does with a large upload: record it as a background job (导入任务)
and answer 202 with the job — the same rule as the pages (views.import_job_redirect): a file of at least
IMPORT_JOB_MIN_BYTES that passes the checks reading at most 8 bytes is imported by a Celery job, whose page
shows the progress bar and the outcome; anything else is imported (or refused) at once."""

from django.urls import reverse
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from .checks import precheck_upload
from .jobs import import_job_for_upload

ImportJobAcceptedSerializer = inline_serializer(
    "ImportJobAccepted",
    fields={
        "job": serializers.IntegerField(help_text="导入任务编号"),
        "status": serializers.CharField(help_text="任务状态（queued 排队中）"),
        "url": serializers.CharField(help_text="任务页面：进度条与导入结果"),
    },
)


def import_job_accepted(request, *, kind: str, year: int, file, page: str, precheck=precheck_upload):
    """202 with the job for a large upload (jobs.import_job_for_upload: the rule and its `precheck`), None
    when the endpoint imports (or refuses) the upload itself, at once."""
    job = import_job_for_upload(actor=request.user, kind=kind, year=year, file=file, precheck=precheck)
    if job is None:
        return None
    return Response(
        {"job": job.pk, "status": job.status, "url": reverse(page, args=[job.pk])},
        status=status.HTTP_202_ACCEPTED,
    )
