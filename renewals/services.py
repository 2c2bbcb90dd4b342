"""Writes of the renewals app (minimal for now: the fee standard the intake form reads)."""

from django.db import IntegrityError, transaction

from loanportal.errors import ConflictError
from loanportal.scope import require_write_scope
from loanportal.updates import model_update

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
    """Create or update the fee standard (收费标准) of one major and level; audited. Only the university
    itself (or the system: demo data). Two first entries of the same standard at once: the unique
    constraint refuses the second, which answers 409, never 500."""
    require_write_scope(actor, university=university, business="收费标准维护", allow_system=True)
    standard = (
        FeeStandard.objects.select_for_update()
        .filter(university=university, year=year, major=major, level=level)
        .first()
    )
    created = standard is None
    if created:
        standard = FeeStandard(university=university, year=year, major=major, level=level)
    try:
        with transaction.atomic():
            model_update(
                instance=standard,
                fields=FEE_FIELDS,
                data={
                    "tuition": tuition,
                    "accommodation": accommodation,
                    "confirmed_account": confirmed_account,
                },
                actor=actor,
                action="fee_standard.set",
                university=university,
                validate_constraints=False,
                created=created,
            )
    except IntegrityError as exc:
        raise ConflictError("该专业的收费标准刚被同时录入，请刷新后核对") from exc
    return standard
