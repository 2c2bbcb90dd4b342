"""The portal's figure frozen on the cutoff day (第二十一条（二）, the 15th/20th rule enforced by a job).

A case's cutoff is fixed when the bank receives its hand-over batch (ReliefBatch.handed_over_on →
`rules.amount_cutoff_date`). The calendar's daily job (deadlines registry: `register_daily_job`) calls
`relief_amounts_freeze_due(as_of=day)`: every case whose cutoff is on or before the day and that has no
frozen figure yet gets one, computed from each contract's latest ledger dated on or before the cutoff with
the loan year's parameters, and frozen with one audit row. Idempotent (one ReliefAmountFreeze per case,
unique; the case row is locked while freezing) and catching up: a run after a missed day freezes the same
figure (the ledger is chosen by the cutoff, not by the run day). A case whose ledger is missing or refused
is reported and tried again on the next run.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from loanportal.audit import audit_record

from . import rules
from .ledger import LedgerError
from .models import LoanLedgerSnapshot, ReliefAmountFreeze, ReliefCase
from .models.money import PARTS
from .selectors import relief_parameters_for

JOB_NAME = "repayment_relief.freeze_relief_amounts"


def case_cutoff(case) -> datetime.date | None:
    """The case's amount cutoff: from the day the bank received its hand-over batch; None before."""
    batch = case.batch
    if batch is None or batch.handed_over_on is None:
        return None
    return rules.amount_cutoff_date(batch.handed_over_on)


def _due_cases(as_of: datetime.date):
    candidates = (
        ReliefCase.objects.filter(
            batch__handed_over_on__isnull=False, amount_freeze__isnull=True, batch__handed_over_on__lte=as_of
        )
        .select_related("batch", "borrower")
        .order_by("batch__handed_over_on", "case_no")
    )
    for case in candidates:
        cutoff = case_cutoff(case)
        if cutoff is not None and cutoff <= as_of:
            yield case, cutoff


def relief_amount_compute(*, case, cutoff: datetime.date) -> tuple[list, dict]:
    """Each contract's parts (RELIEF-AMOUNTS.md) from its latest ledger dated on or before the cutoff;
    (contracts' JSON, the case's parts). LedgerError when a contract has no usable ledger."""
    contracts = list(case.contracts.order_by("contract_no"))
    if not contracts:
        raise LedgerError(f"案件{case.case_no}未关联借款合同")
    parameters = relief_parameters_for(cutoff=cutoff)
    detail = []
    totals = dict.fromkeys(PARTS, Decimal("0.00"))
    for contract in contracts:
        snapshot = (
            LoanLedgerSnapshot.objects.filter(contract=contract, as_of__lte=cutoff)
            .order_by("-as_of", "-pk")
            .select_related("contract")
            .first()
        )
        if snapshot is None:
            raise LedgerError(f"合同{contract.contract_no}没有截止日 {cutoff} 之前的银行台账")
        amount = rules.relief_amount(
            snapshot.to_ledger(), category=case.category, cutoff=cutoff, parameters=parameters
        )
        detail.append(
            {**amount.to_json(), "snapshot": snapshot.pk, "ledger_as_of": snapshot.as_of.isoformat()}
        )
        for part in PARTS:
            totals[part] += getattr(amount, part)
    return detail, totals


def relief_amount_freeze(*, case, cutoff: datetime.date, as_of: datetime.date) -> ReliefAmountFreeze | None:
    """Freeze one case's figure (audited once). None when another run froze it first."""
    with transaction.atomic():
        locked = ReliefCase.objects.select_for_update().get(pk=case.pk)
        if ReliefAmountFreeze.objects.filter(case=locked).exists():
            return None
        detail, totals = relief_amount_compute(case=locked, cutoff=cutoff)
        freeze = ReliefAmountFreeze(case=locked, cutoff=cutoff, contracts=detail, frozen_on=as_of, **totals)
        freeze.full_clean()
        freeze.save()
        audit_record(
            actor=None,
            action="relief_amount.freeze",
            obj=freeze,
            new={"cutoff": cutoff.isoformat(), **{part: str(totals[part]) for part in PARTS}},
            organisation=locked.county,
        )
    return freeze


def relief_amounts_freeze_due(*, as_of: datetime.date, dry_run: bool = False) -> list[tuple[object, str]]:
    """The daily job: freeze every due case (see the module docstring). [(case, 中文描述)]."""
    touched = []
    for case, cutoff in _due_cases(as_of):
        if dry_run:
            try:
                _, totals = relief_amount_compute(case=case, cutoff=cutoff)
            except LedgerError as exc:
                touched.append((case, f"{case.case_no}：截止日 {cutoff}，无法冻结（{exc.message}）"))
            else:
                touched.append(
                    (case, f"{case.case_no}：截止日 {cutoff}，将冻结门户核定金额 {totals['total']} 元")
                )
            continue
        try:
            freeze = relief_amount_freeze(case=case, cutoff=cutoff, as_of=as_of)
        except LedgerError as exc:
            touched.append(
                (case, f"{case.case_no}：截止日 {cutoff}，未能冻结（{exc.message}），下次运行重试")
            )
            continue
        if freeze is not None:
            touched.append((freeze, f"{case.case_no}：截止日 {cutoff}，门户核定金额 {freeze.total} 元已冻结"))
    return touched


def register() -> None:
    from deadlines.registry import register_daily_job

    register_daily_job(JOB_NAME, relief_amounts_freeze_due)
