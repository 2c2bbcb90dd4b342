"""Scoped reads of the university's half of the year: entered receipts (回执) and fee certificates
(收费证明). Everything goes through applications_visible_to (the one scope function)."""

import datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .. import states
from ..models import Application, ApplicationStatus, FeeCertificate
from .lifecycle import application_scope_q, applications_visible_to


def receipts_visible_to(*, user) -> QuerySet[Application]:
    """Applications whose receipt has been entered, in the user's scope (a university: its own students;
    a county: its own applications; the bank: those handed to it), newest entry first."""
    return (
        applications_visible_to(user=user)
        .filter(receipt_entered_at__isnull=False)
        .select_related("receipt_entered_by")
        .order_by("-receipt_entered_at", "-pk")
    )


def receipts_entered_by(*, user, on: datetime.date, limit: int = 50) -> list[Application]:
    """What this officer entered on the day (the list above the input after a reload, without JS)."""
    return list(
        receipts_visible_to(user=user).filter(receipt_entered_by=user, receipt_entered_at__date=on)[:limit]
    )


# --- fee certificates ----------------------------------------------------------------------------

# Approved by the bank (money on its way), disbursed (arrived), certified, archived.
FEE_VIEW_STATES = (states.BANK_APPROVED, states.DISBURSED, states.FEE_CERTIFIED, states.ARCHIVED)


def fee_arrivals(*, user, year: int, status: str = "", query: str = "") -> QuerySet[Application]:
    """学费到账情况: the university's students of the year whose loan the bank approved, whether the money
    arrived (amount and date) and whether their certificate is issued. `status`: "waiting" (arrived, no
    certificate yet), "issued", "pending" (approved, not yet disbursed), else all."""
    qs = (
        applications_visible_to(user=user)
        .filter(year=year, status__in=FEE_VIEW_STATES)
        .select_related("fee_certificate")
    )
    if status == "waiting":
        qs = qs.filter(status=ApplicationStatus.DISBURSED)
    elif status == "issued":
        qs = qs.filter(fee_certificate__isnull=False)
    elif status == "pending":
        qs = qs.filter(status=ApplicationStatus.BANK_APPROVED)
    query = (query or "").strip()[:50]
    if query:
        qs = qs.filter(Q(student__name__startswith=query) | Q(contract_number__startswith=query))
    if status == "issued":
        return qs.order_by("-fee_certificate__sequence")
    return qs.order_by("status", "student__name", "pk")


def fee_certificates_visible_to(*, user) -> QuerySet[FeeCertificate]:
    """Certificates of applications in the user's scope."""
    return (
        FeeCertificate.objects.filter(
            application__in=Application.objects.filter(application_scope_q(user)).values("pk")
        )
        .select_related("application__student", "application__county", "university", "issued_by")
        .order_by("-year", "-sequence")
    )


def fee_certificate_of(*, application) -> FeeCertificate | None:
    """The fee certificate of an application already read in the user's scope (application_get), if any:
    its number and pk only (the application page links to it)."""
    return FeeCertificate.objects.filter(application=application).only("pk", "number").first()


def fee_certificate_get(*, user, pk) -> FeeCertificate:
    return get_object_or_404(fee_certificates_visible_to(user=user), pk=pk)


def obligation_fee_certificates(*, university, year: int) -> int:
    """Disbursed students of the university still without a fee certificate (notice 八, 11/20–11/30)."""
    return Application.objects.filter(
        university=university, year=year, status=ApplicationStatus.DISBURSED
    ).count()
