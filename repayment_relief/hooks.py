"""What the relief cases plug into the portal: navigation, audit action labels, the forms' spreadsheets
(exports.py registers on import) and demo data."""

from loanportal.registry import NavItem, register_action_labels, register_nav, register_seeder
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role

ACTION_LABELS = {
    "relief_case.create": "开立还款救助案件",
    "relief_case.materials_incomplete": "材料不全，待补正",
    "relief_case.county_review": "材料齐全，进入县级初审",
    "relief_case.county_passed": "县级初审通过",
    "relief_case.county_rejected": "县级初审不通过",
    "relief_case.county_submitted": "上报省级复审",
    "relief_case.province_passed": "省级复审通过",
    "relief_case.province_rejected": "省级复审不通过",
    "relief_case.returned": "省级退回县级",
    "relief_case.handed_over": "移交银行",
    "relief_case.relieved": "已救助",
    "relief_case.bank_payment_told": "已告知救助资金去向",
    "relief_case.credit_confirm": "银行确认征信处理",
    "relief_case.fraud": "登记失信查实",
    "relief_case.view": "查阅救助案件打印件",
    "relief_document.upload": "上传救助材料",
    "relief_document.view": "查阅救助材料",
    "relief_verification.create": "记录初审核实",
    "relief_notice.create": "登记公示",
    "relief_objection.create": "登记公示异议",
    "relief_objection.resolve": "处理公示异议",
    "relief_summary.create": "编制县级汇总表",
    "relief_summary.submit": "上报县级汇总表",
    "relief_batch.create": "编制移交批次",
    "relief_batch.hand_over": "登记移交银行",
    "relief_blacklist.add": "列入失信名单",
    "relief_archive_box.create": "新建还款救助档案盒",
    "relief_archive.add": "还款救助材料归档",
    "relief_information_officer.name": "指定信息管理责任人",
}


def seed_relief(context: dict) -> None:
    from .demo import seed_relief_cases

    seed_relief_cases(context)


def register() -> None:
    readers = frozenset({*COUNTY_ROLES, *PROVINCE_ROLES, Role.CITY_MANAGER, Role.BANK_OFFICER})
    register_nav(NavItem("救助", "relief-case-list", readers, order=40))
    register_action_labels(ACTION_LABELS)
    register_seeder(70, seed_relief)
    from . import exports  # noqa: F401  (registers 附件1–5, 附件7 with the export path)
