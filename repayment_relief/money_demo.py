"""Demo relief money (make run → seed_demo, after the demo relief cases): the bank's ledgers of the handed-over
cases' contracts, the fund's accounts with money in them, and 附件6 lines — one accepted, one entered with a
0.50 difference in the interest — so the money pages show something real. Through the services (audited).
Idempotent: skipped once the provincial reserve exists."""

import datetime
from decimal import Decimal

from django.utils import timezone

from loanportal.roles import Role


def _ledger(contract, today: datetime.date) -> dict:
    as_of = today - datetime.timedelta(days=5)
    year = as_of.year if as_of >= datetime.date(as_of.year, 12, 20) else as_of.year - 1
    settled = datetime.date(year, 12, 20)
    each = (contract.principal / 4).quantize(Decimal("0.01"))
    schedule = [{"due": f"{year + 2 + k}-12-20", "principal": str(each)} for k in range(3)]
    schedule.append({"due": f"{year + 5}-09-20", "principal": str(contract.principal - 3 * each)})
    return {
        "contract_no": contract.contract_no,
        "as_of": as_of.isoformat(),
        "interest_settled_through": settled.isoformat(),
        "outstanding_principal": str(contract.principal),
        "rates": [
            {"from": f"{year - 1}-12-21", "annual_rate": "3.05"},
            {"from": f"{year}-12-21", "annual_rate": "2.80"},
        ],
        "overdue": [],
        "penalty_accrued": "0.00",
        "schedule": schedule,
    }


def seed_relief_money(context: dict) -> None:
    from . import bank_amounts, funds, money_selectors
    from .ledger import ledger_parse
    from .models import FundAccount, FundAccountKind, ReliefCase
    from .services import ledger_snapshot_record

    if FundAccount.objects.filter(kind=FundAccountKind.PROVINCIAL_RESERVE).exists():
        return
    users = context["users"].values()
    officer = next((u for u in users if u.role == Role.PROVINCE_OFFICER), None)
    bank = next((u for u in users if u.role == Role.BANK_OFFICER), None)
    if officer is None or bank is None:
        return
    today = timezone.localdate()
    cases = list(
        ReliefCase.objects.filter(status="handed_over").select_related("batch", "county").order_by("pk")
    )
    for case in cases:
        for contract in case.contracts.all():
            if not contract.ledger_snapshots.exists():
                ledger_snapshot_record(contract=contract, ledger=ledger_parse(_ledger(contract, today)))
    funds.fund_deposit(
        actor=officer,
        account=funds.fund_account_ensure(kind=FundAccountKind.PROVINCIAL_RESERVE),
        amount="20000.00",
        document="甘资助〔演示〕1号 提取还款救助备用资金",
    )
    for county in {case.county for case in cases}:
        funds.fund_deposit(
            actor=officer,
            account=funds.fund_account_ensure(kind=FundAccountKind.COUNTY_SURPLUS, county=county),
            amount="5000.00",
            document="国开甘〔演示〕风险补偿金结余奖励",
        )
    funds.fund_return_record(
        actor=officer, amount="600.00", document="收据〔演示〕0001", borrower_name="王小明"
    )
    for index, case in enumerate(cases[:2]):
        for contract in case.contracts.all():
            portal, _ = money_selectors.portal_parts(case, contract.contract_no)
            if portal is None:
                continue
            values = {
                part: portal[part]
                for part in ("principal", "interest", "overdue_principal", "overdue_interest", "penalty")
            }
            if index == 1:
                values["interest"] = str(Decimal(values["interest"]) + Decimal("0.50"))
            line = bank_amounts.bank_amount_enter(actor=bank, case=case, contract=contract, values=values)
            if index == 0:
                bank_amounts.bank_amount_accept(actor=officer, line=line)
