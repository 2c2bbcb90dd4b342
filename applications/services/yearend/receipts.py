"""电子回执确认 (notice 八: counties confirm the receipts their universities entered by the key date)."""

import datetime

from django.db import transaction
from django.urls import reverse

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


def receipt_return(
    *, actor, application: Application, reason: str, on: datetime.date | None = None
) -> Application:
    """回执退回: the county sends an entered receipt back to the university with a reason (the receipt is
    entered again after checking); the one transition service demands the reason and writes the audit row.
    Only while the university may still enter receipts (its receipt_entry_due, with its extension): a
    receipt sent back after that date could not be entered again and the loan would count as abandoned."""
    from django.utils import timezone

    from deadlines.rules import format_date
    from deadlines.services import deadline_for, is_open

    if len((reason or "").strip()) < 2:
        raise DomainError("请填写退回原因（至少2个字）", field="reason")
    today = on or timezone.localdate()
    if not is_open("receipt_entry_due", application.university, on=today, year=application.year):
        try:
            closed = f"已于{format_date(deadline_for('receipt_entry_due', application.university, year=application.year))}截止"
        except DomainError:
            closed = "已截止"
        raise ConflictError(
            f"{application.university.name}的回执录入{closed}，退回后无法重新录入（将视为放弃）；"
            "如确需退回，请先由省中心为该校延长回执录入期限"
        )
    with transaction.atomic():  # the notification (and its e-mail in the outbox) with the change itself
        returned = application_transition(
            actor=actor, application=application, to=states.CONTRACT_SIGNED, reason=reason.strip()[:500]
        )
        _notify_university(returned, reason.strip()[:500])
    return returned


def _notify_university(application: Application, reason: str) -> None:
    """The university's officers learn that a receipt came back and why (they enter it again)."""
    from loanportal.models import User
    from loanportal.roles import UNIVERSITY_ROLES
    from loanportal.services import notification_send

    notification_send(
        recipients=User.objects.filter(
            organisation_id=application.university_id, role__in=UNIVERSITY_ROLES, is_active=True
        ),
        title=f"回执被退回：{application.student.name}",
        body=f"{application.county.name}退回了{application.student.name}（合同号{application.contract_number}）"
        f"的贷款回执，原因：{reason}。请核对后重新录入。",
        url=reverse("application-receipt-entry"),
        category="receipt",
        level="warning",
        dedupe_key=f"receipt-returned-{application.pk}-{application.updated_at:%Y%m%d%H%M%S%f}",
    )
