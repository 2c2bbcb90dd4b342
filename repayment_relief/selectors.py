"""Scoped reads of the loan ledger. The bank lends every contract, so bank officers see all of them;
everyone else sees the contracts of the borrowers in their scope (loanportal.selectors.student_scope_q)."""

import datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from loanportal.scope import scope_q

from .models import LoanContract, LoanLedgerSnapshot
from .rules import ReliefParameters


def loan_contract_scope_q(user) -> Q:
    """The borrower's scope (household county, its city, the province, the university); the bank sees every
    contract (it keeps the ledger) — through the one scope function."""
    return scope_q(user, county="borrower__household_county", university="borrower__university", bank=Q())


def loan_contracts_visible_to(*, user) -> QuerySet[LoanContract]:
    """Contracts in the user's scope, each with its latest ledger snapshot prefetched (`latest_snapshots`)."""
    return (
        LoanContract.objects.filter(loan_contract_scope_q(user))
        .select_related("borrower", "county")
        .prefetch_related(
            Prefetch(
                "ledger_snapshots",
                queryset=LoanLedgerSnapshot.objects.filter(is_latest=True),
                to_attr="latest_snapshots",
            )
        )
        .order_by("contract_no")
    )


def loan_contract_get(*, user, pk) -> LoanContract:
    return get_object_or_404(loan_contracts_visible_to(user=user), pk=pk)


def ledger_snapshots_visible_to(*, user) -> QuerySet[LoanLedgerSnapshot]:
    """Every kept snapshot (history) of the contracts in the user's scope."""
    return LoanLedgerSnapshot.objects.filter(
        contract__in=LoanContract.objects.filter(loan_contract_scope_q(user)).values("pk")
    ).select_related("contract")


def relief_parameters_for(*, cutoff: datetime.date) -> ReliefParameters:
    """The penalty factor, day basis and settlement day of the loan year the cutoff falls in
    (applications.LoanPolicy); a year without parameters yet reads the defaults (1.3, 360, 20 December)."""
    from applications.models import LoanPolicy
    from applications.services.lifecycle import current_loan_year

    policy = LoanPolicy.objects.filter(year=current_loan_year(cutoff)).first() or LoanPolicy()
    return ReliefParameters(
        penalty_factor=Decimal(policy.penalty_factor),
        day_basis=policy.day_basis,
        settlement_month=policy.settlement_month,
        settlement_day=policy.settlement_day,
    )
