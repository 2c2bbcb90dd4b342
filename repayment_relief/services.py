"""Writes of the loan ledger (贷款台账): contracts and ledger snapshots. Keyword-only, validated, audited."""

from decimal import Decimal

from django.db import transaction

from loanportal.audit import audit_record

from .ledger import LedgerError, LedgerSnapshot
from .models import LoanContract, LoanLedgerSnapshot


def loan_contract_create(
    *, actor, contract_no: str, borrower, county, principal: Decimal, school_year: int
) -> LoanContract:
    """A borrower's contract for one school year (借款合同), as the bank reports it."""
    contract = LoanContract(
        contract_no=contract_no.strip(),
        borrower=borrower,
        county=county,
        principal=principal,
        school_year=school_year,
    )
    contract.full_clean()
    contract.save()
    audit_record(
        actor=actor,
        action="loan_contract.create",
        obj=contract,
        new={"contract_no": contract.contract_no, "school_year": school_year, "principal": str(principal)},
        organisation=county,
    )
    return contract


@transaction.atomic
def ledger_snapshot_record(*, contract: LoanContract, ledger: LedgerSnapshot) -> LoanLedgerSnapshot:
    """Keep the bank's ledger of `contract` as of `ledger.as_of`.

    Every snapshot is kept; the one with the latest ledger day (the newest received on a tie) is the
    contract's latest. An older ledger arriving late is stored as history without replacing it.
    """
    if ledger.contract_no != contract.contract_no:
        raise LedgerError(
            f"台账合同号 {ledger.contract_no} 与合同 {contract.contract_no} 不符", field="contract_no"
        )
    locked = LoanContract.objects.select_for_update().get(pk=contract.pk)
    current = locked.ledger_snapshots.filter(is_latest=True).first()
    becomes_latest = current is None or ledger.as_of >= current.as_of
    if becomes_latest and current is not None:
        current.is_latest = False
        current.save(update_fields=["is_latest"])
    data = ledger.to_json()
    snapshot = LoanLedgerSnapshot(
        contract=locked,
        as_of=ledger.as_of,
        interest_settled_through=ledger.interest_settled_through,
        outstanding_principal=ledger.outstanding_principal,
        penalty_accrued=ledger.penalty_accrued,
        rates=data["rates"],
        overdue=data["overdue"],
        schedule=data["schedule"],
        is_latest=becomes_latest,
    )
    snapshot.full_clean()
    snapshot.save()
    return snapshot
