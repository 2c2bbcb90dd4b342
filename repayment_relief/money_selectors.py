"""Scoped reads of relief money: 附件6 lines with the portal's figure beside them, the fund's accounts and
entries, disbursement batches, and what the next disbursement would pay (the preview).

Scope through loanportal.scope: the province sees all; the bank sees the lines and batches of the cases
handed to it; a county sees its own cases' lines and its own accounts; a city its counties'."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from loanportal.scope import scope_q

from . import states
from .case_selectors import relief_case_scope_q
from .models import (
    PARTS,
    BankAmount,
    BankAmountStatus,
    DisbursementBatch,
    DisbursementItem,
    DisbursementStatus,
    FundAccount,
    FundAccountKind,
    FundEntry,
    LedgerImport,
    ReliefCase,
)
from .money_rules import Allocation, Candidate, allocate

ZERO = Decimal("0.00")


# --- the bank's ledger imports ---------------------------------------------------------------------------


def ledger_imports_visible_to(*, user) -> QuerySet[LedgerImport]:
    """贷款台账导入批次: the bank's own uploads (with their error reports); the province sees all; nobody
    else any (a report quotes the bank's rows)."""
    from loanportal.roles import OrgKind

    organisation = getattr(user, "organisation", None)
    if not getattr(user, "is_authenticated", False) or not user.is_active or organisation is None:
        return LedgerImport.objects.none()
    if organisation.kind == OrgKind.BANK:
        return LedgerImport.objects.filter(created_by__organisation=organisation)
    if organisation.kind == OrgKind.PROVINCE:
        return LedgerImport.objects.all()
    return LedgerImport.objects.none()


# --- 附件6 ------------------------------------------------------------------------------------------------


def bank_amounts_visible_to(*, user) -> QuerySet[BankAmount]:
    return (
        BankAmount.objects.filter(relief_case_scope_q(user, prefix="case__"))
        .select_related("case", "case__borrower", "case__county", "case__amount_freeze", "contract")
        .order_by("case__case_no", "contract__contract_no")
    )


def bank_amount_get(*, user, pk) -> BankAmount:
    return get_object_or_404(bank_amounts_visible_to(user=user), pk=pk)


@dataclass(frozen=True)
class PartComparison:
    part: str
    bank: Decimal
    portal: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        return None if self.portal is None else self.bank - self.portal


def portal_parts(case, contract_no: str) -> tuple[dict | None, bool]:
    """The portal's figure of one contract of a case: the frozen one after the cutoff-day job (True), or
    before it a trial computation to the case's cutoff from the latest ledger (False); None without a
    usable ledger or before the hand-over."""
    from .freeze import case_cutoff, relief_amount_compute
    from .ledger import LedgerError

    freeze = getattr(case, "amount_freeze", None) if hasattr(case, "amount_freeze") else None
    if freeze is not None:
        return freeze.contract_parts(contract_no), True
    cutoff = case_cutoff(case)
    if cutoff is None:
        return None, False
    try:
        detail, _ = relief_amount_compute(case=case, cutoff=cutoff)
    except LedgerError:
        return None, False
    return next((c for c in detail if c["contract_no"] == contract_no), None), False


def bank_amount_comparison(line: BankAmount) -> list[PartComparison]:
    """Each part of the bank's line beside the portal's figure of that contract (frozen, or a trial
    computation before the cutoff day — see portal_parts), with the difference bank − portal."""
    portal, _ = portal_parts(line.case, line.contract.contract_no)
    return [
        PartComparison(part, getattr(line, part), Decimal(portal[part]) if portal else None) for part in PARTS
    ]


def bank_amount_differs(line: BankAmount) -> bool:
    return any(c.difference not in (None, ZERO) for c in bank_amount_comparison(line))


def bank_amount_actions_for(user, line: BankAmount) -> list[str]:
    """What the user may do with a 附件6 line (pages and API render only these)."""
    from loanportal.roles import Role

    role = getattr(user, "role", None)
    if line.status == BankAmountStatus.ENTERED and role in (Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER):
        return ["accept", "return"]
    if line.status in (BankAmountStatus.ENTERED, BankAmountStatus.RETURNED) and role == Role.BANK_OFFICER:
        return ["enter"]
    return []


# --- the fund ---------------------------------------------------------------------------------------------


def fund_accounts_visible_to(*, user) -> QuerySet[FundAccount]:
    return (
        FundAccount.objects.filter(scope_q(user, county="county"))
        .select_related("county")
        .order_by("kind", "county__code")
    )


def fund_entries_visible_to(*, user) -> QuerySet[FundEntry]:
    return (
        FundEntry.objects.filter(scope_q(user, county="account__county"))
        .select_related("account", "account__county", "case", "disbursement", "created_by")
        .order_by("-pk")
    )


def fund_balances() -> dict:
    """What the accounts can still pay: balances less what prepared (not yet approved) batches will draw.
    {"reserve": Decimal, "surplus": {county pk: Decimal}, "finance": {county pk: Decimal}}."""
    reserve = ZERO
    surplus: dict = {}
    finance: dict = {}
    for account in FundAccount.objects.all():
        if account.kind == FundAccountKind.PROVINCIAL_RESERVE:
            reserve += account.balance
        elif account.kind == FundAccountKind.COUNTY_SURPLUS:
            surplus[account.county_id] = account.balance
        else:
            finance[account.county_id] = account.balance
    pending = DisbursementItem.objects.filter(batch__status=DisbursementStatus.PREPARED)
    for row in pending.values("case__county").annotate(
        r=Sum("from_reserve"), s=Sum("from_surplus"), f=Sum("from_finance")
    ):
        county = row["case__county"]
        reserve -= row["r"] or ZERO
        surplus[county] = surplus.get(county, ZERO) - (row["s"] or ZERO)
        finance[county] = finance.get(county, ZERO) - (row["f"] or ZERO)
    return {"reserve": reserve, "surplus": surplus, "finance": finance}


# --- disbursements ----------------------------------------------------------------------------------------


def disbursement_candidates() -> list[Candidate]:
    """Cases ready to be paid: handed over, not in any disbursement batch, and every one of their contracts
    has a 附件6 line the province accepted; the amount is the sum of the accepted totals."""
    cases = (
        ReliefCase.objects.filter(status=states.HANDED_OVER, disbursement_item__isnull=True)
        .select_related("batch")
        .prefetch_related(
            "contracts",
            Prefetch("bank_amounts", queryset=BankAmount.objects.filter(status=BankAmountStatus.ACCEPTED)),
        )
    )
    result = []
    for case in cases:
        contracts = {c.pk for c in case.contracts.all()}
        accepted = {line.contract_id: line.total for line in case.bank_amounts.all()}
        if not contracts or set(accepted) != contracts:
            continue
        result.append(
            Candidate(
                key=case.pk,
                case_no=case.case_no,
                county=case.county_id,
                category=case.category,
                handed_over_on=case.batch.handed_over_on if case.batch else None,
                amount=sum(accepted.values(), ZERO),
            )
        )
    return result


def disbursement_preview() -> Allocation:
    """The allocation the next batch would make now (第十七条 order, 第六条 waterfall)."""
    return allocate(disbursement_candidates(), **fund_balances())


def disbursements_visible_to(*, user) -> QuerySet[DisbursementBatch]:
    """The province sees every batch; the bank the approved and confirmed ones (it credits them)."""
    bank = Q(status__in=[DisbursementStatus.APPROVED, DisbursementStatus.CONFIRMED])
    return (
        DisbursementBatch.objects.filter(scope_q(user, bank=bank))
        .select_related("prepared_by", "approved_by", "confirmed_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=DisbursementItem.objects.select_related("case", "case__borrower", "case__county"),
            )
        )
        .order_by("-year", "-number")
    )


def disbursement_get(*, user, pk) -> DisbursementBatch:
    return get_object_or_404(disbursements_visible_to(user=user), pk=pk)


def disbursement_actions_for(user, batch: DisbursementBatch) -> list[str]:
    from loanportal.roles import Role

    role = getattr(user, "role", None)
    manager = role == Role.PROVINCE_MANAGER and batch.prepared_by_id != user.pk  # maker-checker
    if batch.status == DisbursementStatus.PREPARED and manager:
        return ["approve"]
    if batch.status == DisbursementStatus.APPROVED and role == Role.BANK_OFFICER:
        return ["confirm"]
    return []


def case_amounts(case) -> dict | None:
    """A case's amounts to its cutoff for the case page: per contract the portal's parts (frozen, or a
    trial before the cutoff day), the bank's 附件6 line and its status; None before the hand-over."""
    from .freeze import case_cutoff

    cutoff = case_cutoff(case)
    if cutoff is None:
        return None
    lines = {line.contract_id: line for line in BankAmount.objects.filter(case=case)}
    rows = []
    frozen = False
    for contract in case.contracts.order_by("contract_no"):
        portal, frozen = portal_parts(case, contract.contract_no)
        rows.append(
            {
                "contract": contract,
                "portal": [Decimal(portal[p]) for p in PARTS] if portal else None,
                "bank": lines.get(contract.pk),
            }
        )
    return {"cutoff": cutoff, "frozen": frozen, "rows": rows}
