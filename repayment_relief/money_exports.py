"""附件6 and the disbursement batch list as spreadsheets in the forms' layout, through the one export path
(loanportal/exports: request → manager approval → job → audited download). Rows come from the money
selectors, so a requester exports only what their scope shows."""

from decimal import Decimal

from loanportal.exports.registry import (
    DATE,
    ID_NUMBER,
    INTEGER,
    MONEY,
    Column,
    register,
)
from loanportal.roles import PROVINCE_ROLES, Role

from . import categories, money_selectors
from .export_layout import FormLayout, form_definition, param_int
from .models import PART_LABELS, PARTS, DisbursementItem

READERS = frozenset(PROVINCE_ROLES | {Role.BANK_OFFICER})


# --- 附件6 国家开发银行生源地助学贷款还款救助资金明细表 ---------------------------------------------------------


def _annex6_lines(user, params):
    lines = money_selectors.bank_amounts_visible_to(user=user).select_related("case__batch")
    status = str(params.get("status", "") or "")
    if status in ("entered", "accepted", "returned"):
        lines = lines.filter(status=status)
    return lines


def _annex6_rows(*, user, params):
    for n, line in enumerate(_annex6_lines(user, params), start=1):
        freeze = getattr(line.case, "amount_freeze", None) if hasattr(line.case, "amount_freeze") else None
        portal = freeze.contract_parts(line.contract.contract_no) if freeze else None
        yield (
            n,
            line.case.county.name,
            line.case.borrower.name,
            line.case.borrower.id_number,
            line.contract.contract_no,
            line.case.get_category_display(),
            freeze.cutoff if freeze else (line.case.batch.cutoff_date if line.case.batch else None),
            *(getattr(line, part) for part in PARTS),
            Decimal(portal["total"]) if portal else None,
            line.total - Decimal(portal["total"]) if portal else None,
            line.get_status_display(),
        )


register(
    form_definition(
        name="relief_att6",
        title="国家开发银行生源地助学贷款还款救助资金明细表",
        columns=(
            Column("序号", INTEGER, 6),
            Column("县（区）", width=18),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("借款合同号", width=20),
            Column("救助类别", width=26),
            Column("计算截止日", DATE, 12),
            *(Column(PART_LABELS[part], MONEY, 12) for part in PARTS),
            Column("门户核定合计", MONEY, 13),
            Column("差额（银行−门户）", MONEY, 13),
            Column("省中心核对", width=14),
        ),
        rows=_annex6_rows,
        count=lambda *, user, params: _annex6_lines(user, params).count(),
        roles=READERS,
        page="relief-bank-amounts",
        describe=lambda params: "附件6" + (f"（{params.get('status')}）" if params.get("status") else ""),
        layout=FormLayout(
            caption="附件6　国家开发银行甘肃省分行（盖章）：　　　　　　　　填报日期：　　年　　月　　日　　单位：元",
            groups=(("借款学生", 1, 5), ("还款救助金额", 6, 12), ("核对", 13, 15)),
            signatures=("银行经办人：", "银行负责人：", "省资助中心核对人：", "日期："),
        ),
    )
)


# --- 资金划付批次清单（第二十二条） ---------------------------------------------------------------------------


def _disbursement_items(user, params):
    batches = money_selectors.disbursements_visible_to(user=user)
    batch_pk = param_int(params, "batch")
    if batch_pk:
        batches = batches.filter(pk=batch_pk)
    return (
        DisbursementItem.objects.filter(batch__in=batches.values("pk"))
        .select_related("batch", "case", "case__borrower", "case__county", "case__batch")
        .order_by("batch__year", "batch__number", "priority")
    )


def _disbursement_rows(*, user, params):
    for item in _disbursement_items(user, params):
        case = item.case
        yield (
            item.priority,
            str(item.batch),
            case.county.name,
            case.borrower.name,
            case.borrower.id_number,
            case.case_no,
            case.get_category_display(),
            categories.priority_label(case.category),
            case.batch.handed_over_on if case.batch else None,
            item.amount,
            item.from_reserve,
            item.from_surplus,
            item.from_finance,
            item.credited_at.date() if item.credited_at else None,
        )


register(
    form_definition(
        name="relief_disbursement",
        title="还款救助资金划付清单",
        columns=(
            Column("顺序", INTEGER, 6),
            Column("划付批次", width=22),
            Column("县（区）", width=18),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("救助编号", width=18),
            Column("救助类别", width=26),
            Column("救助重点", width=14),
            Column("移交银行日期", DATE, 13),
            Column("救助金额", MONEY, 12),
            Column("省级备用资金", MONEY, 13),
            Column("县级结余奖励资金", MONEY, 15),
            Column("县级财政资金", MONEY, 13),
            Column("银行入账日期", DATE, 13),
        ),
        rows=_disbursement_rows,
        count=lambda *, user, params: _disbursement_items(user, params).count(),
        roles=READERS,
        page="relief-disbursements",
        describe=lambda params: (
            "资金划付清单" + (f"（批次 {params.get('batch')}）" if params.get("batch") else "")
        ),
        layout=FormLayout(
            caption="省学生资助管理中心（盖章）　划至：国开行甘肃分行助学贷款还款专用账户　　单位：元",
            groups=(("借款学生", 2, 6), ("救助", 7, 9), ("资金来源（第六条）", 10, 12)),
            signatures=("编制人：", "审批人（省资助中心负责人）：", "国开行甘肃分行入账确认：", "日期："),
        ),
    )
)
