"""Disbursement batches (资金划付, 第二十二条): the province pays accepted cases from the relief fund to the
bank's student-loan repayment account.

- `disbursement_prepare`: a province officer builds the batch from the allocation the preview showed
  (money_rules.allocate: 第十七条 priority, 第六条 waterfall); at most two batches per calendar year — a
  third is refused with that reason (and the database allows only numbers 1 and 2 per year);
- `disbursement_approve`: a province manager who did not prepare it approves; in the same transaction the
  accounts are locked (pk order) and every case's split is drawn (entries with the batch's document). Two
  managers at once: the batch row lock lets one win; the other finds it approved → 409;
- `disbursement_confirm`: the bank confirms crediting (入账) and marking per loan; the cases become relieved.

One state machine (`disbursement_transition`, DISBURSEMENT_TRANSITIONS). A case is paid once: its
DisbursementItem is unique per case.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.roles import Role
from loanportal.transitions import apply_transition

from . import funds, states
from .case_services import relief_case_transition
from .models import (
    BATCHES_PER_YEAR,
    DISBURSEMENT_TRANSITIONS,
    DisbursementBatch,
    DisbursementItem,
    DisbursementStatus,
    FundAccountKind,
)
from .money_rules import Split, allocate
from .money_selectors import disbursement_candidates, fund_balances

S = DisbursementStatus
ZERO = Decimal("0.00")
PROVINCE_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER})


def disbursement_transition(*, batch: DisbursementBatch, to: str, actor, extra: dict | None = None):
    return apply_transition(
        instance=batch,
        to=to,
        actor=actor,
        allowed=DISBURSEMENT_TRANSITIONS,
        labels=DisbursementStatus,
        extra=extra,
        action_prefix="disbursement",
    )


def third_batch_message(year: int) -> str:
    return f"每年还款救助频度不超过{BATCHES_PER_YEAR}次（第二十二条（二））：{year}年已有{BATCHES_PER_YEAR}个划付批次，不能再编制"


def disbursement_prepare(*, actor, year: int | None = None) -> DisbursementBatch:
    """Build this year's next disbursement batch from the current allocation (the preview's)."""
    if getattr(actor, "role", None) not in PROVINCE_ROLES:
        raise PermissionDeniedError("只有省资助中心可以编制资金划付批次")
    year = year or timezone.localdate().year
    try:
        with transaction.atomic():
            existing = list(DisbursementBatch.objects.select_for_update().filter(year=year))
            if len(existing) >= BATCHES_PER_YEAR:
                raise DomainError(third_batch_message(year))
            allocation = allocate(disbursement_candidates(), **fund_balances())
            if not allocation.paid:
                raise ConflictError("没有可划付的案件：需要银行金额已全部确认的案件，且救助资金足以支付")
            batch = DisbursementBatch(
                year=year, number=len(existing) + 1, prepared_by=actor, total=allocation.total
            )
            # The number is ours (the locked count + 1); a batch another officer committed meanwhile (the
            # lock on an empty year locks no row) is the database's unique constraint → 409 below, not a
            # form error of full_clean's own query.
            batch.full_clean(exclude=["number"])
            batch.save()
            DisbursementItem.objects.bulk_create(
                [
                    DisbursementItem(
                        batch=batch,
                        case_id=candidate.key,
                        priority=position,
                        amount=candidate.amount,
                        from_reserve=split.from_reserve,
                        from_surplus=split.from_surplus,
                        from_finance=split.from_finance,
                    )
                    for candidate, split, position in allocation.paid
                ]
            )
            audit_record(
                actor=actor,
                action="disbursement.prepare",
                obj=batch,
                new={
                    "year": year,
                    "number": batch.number,
                    "cases": len(allocation.paid),
                    "total": str(batch.total),
                },
            )
    except IntegrityError:
        # Another officer prepared a batch (or paid one of these cases) at the same moment.
        raise ConflictError("另一位经办人员刚刚编制了划付批次，请刷新后重试") from None
    return batch


def disbursement_approve(*, actor, batch: DisbursementBatch, document: str) -> DisbursementBatch:
    """审批划付: a province manager other than the preparer approves; every case is drawn from the fund."""
    if getattr(actor, "role", None) != Role.PROVINCE_MANAGER:
        raise PermissionDeniedError("只有省资助中心负责人可以审批资金划付")
    document = (document or "").strip()
    if not document:
        raise DomainError("请填写划付凭证或文号", field="document")
    with transaction.atomic():
        if DisbursementBatch.objects.filter(pk=batch.pk, prepared_by=actor).exists():
            raise PermissionDeniedError("编制人不能审批自己编制的划付批次，请由另一位负责人审批")
        locked = disbursement_transition(
            batch=batch,
            to=S.APPROVED,
            actor=actor,
            extra={"approved_by": actor, "approved_at": timezone.now(), "document": document[:100]},
        )
        items = list(locked.items.select_related("case", "case__county").order_by("priority"))
        wanted = [funds.fund_account_ensure(kind=FundAccountKind.PROVINCIAL_RESERVE)]
        for item in items:
            wanted.append(
                funds.fund_account_ensure(kind=FundAccountKind.COUNTY_SURPLUS, county=item.case.county)
            )
            wanted.append(
                funds.fund_account_ensure(kind=FundAccountKind.COUNTY_FINANCE, county=item.case.county)
            )
        locked_accounts = funds.accounts_lock(wanted)
        for item in items:
            funds.fund_pay(
                actor=actor,
                split=Split(item.from_reserve, item.from_surplus, item.from_finance, ZERO),
                county=item.case.county_id,
                case=item.case,
                disbursement=locked,
                document=document,
                locked=locked_accounts,
            )
    return locked


def disbursement_confirm(*, actor, batch: DisbursementBatch) -> DisbursementBatch:
    """入账确认: the bank has credited every case's loans and marked them; the cases become relieved."""
    if getattr(actor, "role", None) != Role.BANK_OFFICER:
        raise PermissionDeniedError("只有银行经办人员可以确认入账")
    with transaction.atomic():
        now = timezone.now()
        locked = disbursement_transition(
            batch=batch, to=S.CONFIRMED, actor=actor, extra={"confirmed_by": actor, "confirmed_at": now}
        )
        locked.items.update(credited_at=now)
        for item in locked.items.select_related("case").order_by("priority"):
            if item.case.status == states.HANDED_OVER:
                relief_case_transition(case=item.case, to=states.RELIEVED, actor=actor)
    return locked
