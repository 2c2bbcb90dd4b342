"""Scoped reads of import jobs (导入任务): a background import's page is its uploader's only."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import ImportJob


def import_jobs_visible_to(*, user, kind: str | None = None) -> QuerySet[ImportJob]:
    """The jobs `user` uploaded (of `kind`, when given): nobody else's, not even a manager's colleagues'
    (the outcome and the report are on the batch pages, scoped there)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ImportJob.objects.none()
    jobs = ImportJob.objects.filter(created_by_id=user.pk)
    return jobs if kind is None else jobs.filter(kind=kind)


def import_job_get(*, user, pk, kind: str) -> ImportJob:
    """One of the user's jobs of `kind`, or 404."""
    return get_object_or_404(import_jobs_visible_to(user=user, kind=kind), pk=pk)
