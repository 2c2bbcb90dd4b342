"""Scoped reads of export requests: the requester's own, and those a manager may decide."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import ExportRequest, ExportStatus
from .services import export_approver_q


def _base() -> QuerySet[ExportRequest]:
    return ExportRequest.objects.select_related(
        "requested_by", "requested_by__organisation", "decided_by", "organisation"
    )


def exports_visible_to(*, user) -> QuerySet[ExportRequest]:
    """The user's own requests and the requests the user may decide (or has decided)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportRequest.objects.none()
    return _base().filter(Q(requested_by_id=user.pk) | export_approver_q(user) | Q(decided_by_id=user.pk))


def exports_requested_by(*, user) -> QuerySet[ExportRequest]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportRequest.objects.none()
    return _base().filter(requested_by_id=user.pk)


def exports_awaiting_decision(*, user) -> QuerySet[ExportRequest]:
    """待审批导出: requests of the manager's organisation or below, not the manager's own."""
    return _base().filter(export_approver_q(user), status=ExportStatus.REQUESTED)


def export_get(*, user, pk) -> ExportRequest:
    return get_object_or_404(exports_visible_to(user=user), pk=pk)
