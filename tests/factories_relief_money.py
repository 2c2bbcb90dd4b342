"""Helpers for relief-money tests (issue 12): handed-over cases with contracts and ledgers, fund accounts.

Cases are created directly in the handed-over state (the case workflow is issue 11's and tested there)."""

import datetime
from decimal import Decimal

from repayment_relief import funds, states
from repayment_relief.ledger import ledger_parse
from repayment_relief.models import FundAccountKind, LoanContract, ReliefBatch, ReliefCase
from repayment_relief.services import ledger_snapshot_record

from .factories import StudentFactory

CONTRACT_A = {
    "as_of": "2026-03-10",
    "interest_settled_through": "2025-12-20",
    "outstanding_principal": "24000.00",
    "rates": [{"from": "2024-12-21", "annual_rate": "3.05"}, {"from": "2025-12-21", "annual_rate": "2.80"}],
    "overdue": [],
    "penalty_accrued": "0.00",
    "schedule": [{"due": f"{y}-12-20", "principal": "4800.00"} for y in range(2031, 2035)]
    + [{"due": "2035-09-20", "principal": "4800.00"}],
}

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def batch_received(world, *, received_on: datetime.date, year: int | None = None, number: int | None = None):
    n = _next()
    return ReliefBatch.objects.create(
        year=year or received_on.year,
        number=number or 100 + n,
        status=states.BATCH_HANDED_OVER,
        handed_over_on=received_on,
        created_by=world.users.province_officer,
    )


def handed_over_case(world, *, county=None, category="4", batch=None, ledgers=(CONTRACT_A,), student=None):
    """A case handed to the bank in `batch`, with one contract (and its ledger) per entry of `ledgers`."""
    county = county or world.county1
    n = _next()
    student = student or StudentFactory(household_county=county)
    case = ReliefCase.objects.create(
        case_no=f"JZ-T{n:05d}",
        borrower=student,
        county=county,
        year=2026,
        category=category,
        category_detail="labour" if category == "2" else "",
        applicant_kind="borrower",
        applicant_name=student.name,
        applicant_id_number=student.id_number,
        status=states.HANDED_OVER,
        created_by=world.users.county1_staff,
        batch=batch,
    )
    for index, ledger in enumerate(ledgers):
        contract = LoanContract.objects.create(
            contract_no=f"GS-T{n:05d}-{index}",
            borrower=student,
            county=county,
            principal=Decimal("24000.00"),
            school_year=2020 + index,
        )
        if ledger is not None:
            ledger_snapshot_record(
                contract=contract, ledger=ledger_parse({**ledger, "contract_no": contract.contract_no})
            )
        case.contracts.add(contract)
    return case


def fund(world, *, reserve="0", surplus=None, finance=None):
    """Deposit into the reserve and the given counties' surplus / finance accounts (county → amount)."""
    officer = world.users.province_officer
    if Decimal(reserve) > 0:
        funds.fund_deposit(
            actor=officer,
            account=funds.fund_account_ensure(kind=FundAccountKind.PROVINCIAL_RESERVE),
            amount=reserve,
            document="甘资助〔2026〕1号",
        )
    for county, amount in (surplus or {}).items():
        funds.fund_deposit(
            actor=officer,
            account=funds.fund_account_ensure(kind=FundAccountKind.COUNTY_SURPLUS, county=county),
            amount=amount,
            document="国开甘〔2026〕结余奖励",
        )
    for county, amount in (finance or {}).items():
        funds.fund_finance_arrival(actor=officer, county=county, amount=amount, document="县财〔2026〕1号")
