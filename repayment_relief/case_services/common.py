"""Shared pieces of the relief-case services: the one transition service and the county checks."""

import datetime

from django.utils import timezone

from loanportal.errors import ConflictError, PermissionDeniedError
from loanportal.roles import COUNTY_ROLES
from loanportal.scope import require_write_scope
from loanportal.transitions import apply_transition

from .. import states
from ..models import (
    ReliefCase,
    ReliefCaseStatus,
)

BUSINESS = "还款救助"


def _today() -> datetime.date:
    return timezone.localdate()


def relief_case_transition(*, case: ReliefCase, to: str, actor, reason: str = "", extra: dict | None = None):
    """The one state change of a relief case (states.TRANSITIONS; 409 for a move the map refuses)."""
    return apply_transition(
        instance=case,
        to=to,
        actor=actor,
        allowed=states.TRANSITIONS,
        reason=reason,
        reason_required_for=states.REASON_REQUIRED,
        labels=ReliefCaseStatus,
        organisation=case.county,
        extra=extra,
        action_prefix="relief_case",
    )


def _require_county_work(actor, case: ReliefCase, *, business: str = BUSINESS) -> None:
    require_write_scope(actor, county=case.county, business=business)
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError(f"只有县级资助中心可以办理{business}")


def _require_editable(case: ReliefCase) -> None:
    if case.status not in states.EDITABLE:
        raise ConflictError(f"案件状态为“{case.get_status_display()}”，不能再修改材料或初审记录")
