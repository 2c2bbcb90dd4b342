"""Writes of the renewals app (minimal for now: the fee standard the intake form reads)."""

from django.db import transaction

from loanportal.audit import audit_record, model_snapshot

from .models import FeeStandard

FEE_FIELDS = ["tuition", "accommodation", "confirmed_account"]


@transaction.atomic
def fee_standard_set(
    *,
    actor,
    university,
    year: int,
    major: str,
    level: str,
    tuition: int,
    accommodation: int = 0,
    confirmed_account: bool = False,
) -> FeeStandard:
    """Create or update the fee standard (收费标准) of one major and level; audited."""
    standard = (
        FeeStandard.objects.select_for_update()
        .filter(university=university, year=year, major=major, level=level)
        .first()
    )
    old = model_snapshot(standard, FEE_FIELDS) if standard else None
    if standard is None:
        standard = FeeStandard(university=university, year=year, major=major, level=level)
    standard.tuition, standard.accommodation = tuition, accommodation
    standard.confirmed_account = confirmed_account
    standard.full_clean()
    standard.save()
    new = model_snapshot(standard, FEE_FIELDS)
    if old != new:
        audit_record(
            actor=actor,
            action="fee_standard.set",
            obj=standard,
            old=old,
            new=new,
            university=university,
        )
    return standard
