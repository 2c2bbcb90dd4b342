"""电子回执确认 (notice 八: counties confirm the receipts their universities entered by the key date)."""

import datetime

from django.db import transaction

from loanportal.errors import ConflictError, DomainError

from ... import states
from ...models import Application
from ..lifecycle import application_transition

MAX_BULK = 500


@transaction.atomic
def receipts_confirm(*, actor, applications, on: datetime.date | None = None) -> list[Application]:
    """Confirm many entered receipts at once (回执确认), all or none: each through the one transition
    service (role, own county, the calendar's receipt_confirm_due, row lock, audit row). A receipt another
    clerk confirmed (or sent back) meanwhile refuses the whole batch with a 409 naming the student."""
    chosen = list(applications)
    if not chosen:
        raise DomainError("请先勾选要确认的回执", field="applications")
    if len(chosen) > MAX_BULK:
        raise DomainError(f"一次最多确认{MAX_BULK}份回执", field="applications")
    confirmed = []
    for application in sorted(chosen, key=lambda a: a.pk):  # one lock order: no deadlock between clerks
        try:
            confirmed.append(
                application_transition(
                    actor=actor, application=application, to=states.RECEIPT_CONFIRMED, on=on
                )
            )
        except ConflictError as exc:
            raise ConflictError(
                f"{application.student.name}（合同号{application.contract_number}）的回执状态已变化："
                f"{exc.message}；未确认任何回执，请刷新后重试"
            ) from exc
    return confirmed


def receipt_return(*, actor, application: Application, reason: str) -> Application:
    """回执退回: the county sends an entered receipt back to the university with a reason (the receipt is
    entered again after checking); the one transition service demands the reason and writes the audit row."""
    if len((reason or "").strip()) < 2:
        raise DomainError("请填写退回原因（至少2个字）", field="reason")
    return application_transition(
        actor=actor, application=application, to=states.CONTRACT_SIGNED, reason=reason.strip()[:500]
    )
