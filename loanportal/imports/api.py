"""What every import endpoint of the API does with a large upload: record it as a background job (导入任务)
and answer 202 with the job — the same rule as the pages (views.import_job_redirect): a file of at least
IMPORT_JOB_MIN_BYTES that passes the checks reading at most 8 bytes is imported by a Celery job, whose page
shows the progress bar and the outcome; anything else is imported (or refused) at once."""

from django.urls import reverse
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ..errors import DomainError
from .checks import precheck_upload
from .jobs import import_job_create, import_job_wanted

ImportJobAcceptedSerializer = inline_serializer(
    "ImportJobAccepted",
    fields={
        "job": serializers.IntegerField(help_text="导入任务编号"),
        "status": serializers.CharField(help_text="任务状态（queued 排队中）"),
        "url": serializers.CharField(help_text="任务页面：进度条与导入结果"),
    },
)


def import_job_accepted(request, *, kind: str, year: int, file, page: str, precheck=precheck_upload):
    """202 with the job for a large upload, None for one imported at once (small, or refused by `precheck`:
    the endpoint's own import then refuses it with the same words). `precheck=None`: the kind checked it."""
    if not import_job_wanted(file):
        return None
    if precheck is not None:
        try:
            precheck(file)
        except DomainError:
            return None
    job = import_job_create(
        actor=request.user, kind=kind, organisation=request.user.organisation, year=year, file=file
    )
    return Response(
        {"job": job.pk, "status": job.status, "url": reverse(page, args=[job.pk])},
        status=status.HTTP_202_ACCEPTED,
    )
