"""What relief money plugs into the portal: navigation (救助资金), audit action labels, the spreadsheets
(money_exports registers on import) and demo data."""

from loanportal.registry import register_action_labels, register_seeder

ACTION_LABELS = {
    "ledger_import.done": "导入贷款台账",
    "ledger_import.rejected": "贷款台账未导入（有错误）",
    "relief_amount.freeze": "冻结门户核定救助金额（截止日）",
    "bank_amount.enter": "银行填报救助金额（附件6）",
    "bank_amount.correct": "银行修改救助金额（附件6）",
    "bank_amount.entered": "银行重新填报救助金额（附件6）",
    "bank_amount.accepted": "省中心确认银行救助金额",
    "bank_amount.returned": "省中心退回银行救助金额（疑问）",
    "relief_fund.deposit": "救助资金拨入",
    "relief_fund.payment": "救助资金划付",
    "relief_fund.return": "返还代偿资金",
    "relief_fund.finance_demand": "县级财政应筹",
    "relief_fund.finance_arrival": "县级财政资金到位",
    "disbursement.prepare": "编制资金划付批次",
    "disbursement.approved": "审批资金划付",
    "disbursement.confirmed": "银行确认入账",
}


def seed_money(context: dict) -> None:
    from .money_demo import seed_relief_money

    seed_relief_money(context)


def register() -> None:
    # No navigation entry of its own (the province's bar must fit a 1366 px screen): the pages are tabs
    # of 还款救助 (templates/relief/_nav.html links here for the roles that see them).
    register_action_labels(ACTION_LABELS)
    register_seeder(75, seed_money)
    from . import money_exports  # noqa: F401  (registers 附件6 and the disbursement list)
