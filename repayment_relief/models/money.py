"""Models of relief money (还款救助资金): ledger imports, the frozen portal figure, the bank's amounts
(附件6), the relief fund's accounts and entries (第六–七条) and the disbursement batches (第二十二条).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from loanportal.models import Organisation
from loanportal.roles import OrgKind

from .cases import ReliefCase
from .ledger import LoanContract


def _parts_sum_to_total(name: str) -> models.CheckConstraint:
    """The amount parts (RELIEF-AMOUNTS.md) are never negative and add up to the total."""
    return models.CheckConstraint(
        condition=Q(principal__gte=0)
        & Q(interest__gte=0)
        & Q(overdue_principal__gte=0)
        & Q(overdue_interest__gte=0)
        & Q(penalty__gte=0)
        & Q(
            total=models.F("principal")
            + models.F("interest")
            + models.F("overdue_principal")
            + models.F("overdue_interest")
            + models.F("penalty")
        ),
        name=name,
    )


ZERO = Decimal("0.00")


class LedgerImport(models.Model):
    """台账导入批次: one upload of the bank's ledger spreadsheet. A refused file keeps its error report."""

    file_name = models.CharField("文件名", max_length=200)
    row_count = models.PositiveIntegerField("行数", default=0)
    contracts_created = models.PositiveIntegerField("新建合同数", default=0)
    snapshots_latest = models.PositiveIntegerField("成为最新台账数", default=0)
    succeeded = models.BooleanField("导入成功", default=False)
    errors = models.JSONField("错误报告", default=list, blank=True)
    # every error found; `errors` keeps the first STORED_ERRORS_LIMIT of them (a broken file: one per row)
    error_count = models.PositiveIntegerField("错误总数", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账导入批次"
        ordering = ["-pk"]

    def __str__(self):
        return f"台账导入 {self.pk} {self.file_name}"


def _money(label):
    return models.DecimalField(label, max_digits=14, decimal_places=2, default=ZERO)


PARTS = ("principal", "interest", "overdue_principal", "overdue_interest", "penalty", "total")
PART_LABELS = {
    "principal": "本金",
    "interest": "利息",
    "overdue_principal": "逾期本金",
    "overdue_interest": "逾期利息",
    "penalty": "罚息",
    "total": "合计",
}


class ReliefAmountFreeze(models.Model):
    """门户核定金额（冻结）: the portal's figure of a case at its cutoff, computed on the cutoff day from the
    latest ledger dated on or before the cutoff, by the daily job; one per case (unique), audited once.
    `contracts` keeps each contract's parts and the snapshot it was computed from."""

    case = models.OneToOneField(
        ReliefCase, verbose_name="救助案件", on_delete=models.PROTECT, related_name="amount_freeze"
    )
    cutoff = models.DateField("计算截止日")
    principal = _money("本金")
    interest = _money("利息")
    overdue_principal = _money("逾期本金")
    overdue_interest = _money("逾期利息")
    penalty = _money("罚息")
    total = _money("合计")
    contracts = models.JSONField("分合同金额", default=list)
    frozen_on = models.DateField("冻结日（任务运行日）")
    frozen_at = models.DateTimeField("冻结时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "门户核定金额（冻结）"
        ordering = ["-cutoff", "case_id"]
        constraints = [_parts_sum_to_total("relief_freeze_parts_sum_to_total")]

    def __str__(self):
        return f"{self.case} 截至{self.cutoff} {self.total}"

    def contract_parts(self, contract_no: str) -> dict | None:
        return next((c for c in self.contracts if c["contract_no"] == contract_no), None)


class BankAmountStatus(models.TextChoices):
    ENTERED = "entered", "银行已填报"
    ACCEPTED = "accepted", "省中心已确认"
    RETURNED = "returned", "省中心退回（有疑问）"


BANK_AMOUNT_TRANSITIONS = {
    BankAmountStatus.ENTERED: frozenset({BankAmountStatus.ACCEPTED, BankAmountStatus.RETURNED}),
    BankAmountStatus.RETURNED: frozenset({BankAmountStatus.ENTERED}),
    BankAmountStatus.ACCEPTED: frozenset(),
}


class BankAmount(models.Model):
    """国家开发银行生源地助学贷款还款救助资金明细表 (附件6) — one line: the bank's amounts of one contract of one
    case. The province accepts it (frozen: no change after) or returns it with a question; the bank then
    corrects and enters it again."""

    case = models.ForeignKey(
        ReliefCase, verbose_name="救助案件", on_delete=models.PROTECT, related_name="bank_amounts"
    )
    contract = models.ForeignKey(
        LoanContract, verbose_name="借款合同", on_delete=models.PROTECT, related_name="bank_amounts"
    )
    principal = _money("本金")
    interest = _money("利息")
    overdue_principal = _money("逾期本金")
    overdue_interest = _money("逾期利息")
    penalty = _money("罚息")
    total = _money("合计")
    status = models.CharField(
        "状态", max_length=16, choices=BankAmountStatus.choices, default=BankAmountStatus.ENTERED
    )
    question = models.TextField("退回疑问", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("填报时间", auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认/退回人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("确认/退回时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "银行救助金额明细（附件6）"
        ordering = ["case_id", "contract__contract_no"]
        constraints = [
            models.UniqueConstraint(fields=["case", "contract"], name="bank_amount_one_per_case_contract"),
            _parts_sum_to_total("bank_amount_parts_sum_to_total"),
        ]

    def __str__(self):
        return f"{self.case.case_no} {self.contract.contract_no}"


class FundAccountKind(models.TextChoices):
    PROVINCIAL_RESERVE = "provincial_reserve", "省资助中心还款救助备用资金"
    COUNTY_SURPLUS = "county_surplus", "风险补偿金结余奖励资金"
    COUNTY_FINANCE = "county_finance", "县级财政筹集资金"


# The order in which a case's amount is drawn (第六条).
WATERFALL = (
    FundAccountKind.PROVINCIAL_RESERVE,
    FundAccountKind.COUNTY_SURPLUS,
    FundAccountKind.COUNTY_FINANCE,
)


class FundAccount(models.Model):
    """还款救助资金专账 (第七条): the provincial reserve, or one county's surplus reward funds, or the share
    that county's finance bureau raises. `balance` is money in the account; `owed` (county finance only) is
    what the county has been asked to raise and has not yet arrived. Both never go negative."""

    kind = models.CharField("账户类别", max_length=24, choices=FundAccountKind.choices)
    county = models.ForeignKey(
        Organisation,
        verbose_name="县级资助中心",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relief_fund_accounts",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    balance = models.DecimalField("余额（元）", max_digits=14, decimal_places=2, default=ZERO)
    owed = models.DecimalField("应筹未到位（元）", max_digits=14, decimal_places=2, default=ZERO)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "救助资金账户"
        ordering = ["kind", "county__code"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="fund_account_balance_not_negative"),
            models.CheckConstraint(condition=Q(owed__gte=0), name="fund_account_owed_not_negative"),
            models.CheckConstraint(
                condition=(Q(kind="provincial_reserve") & Q(county__isnull=True))
                | (~Q(kind="provincial_reserve") & Q(county__isnull=False)),
                name="fund_account_county_by_kind",
            ),
            models.UniqueConstraint(fields=["kind", "county"], name="fund_account_one_per_county"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(county__isnull=True), name="fund_account_one_provincial"
            ),
        ]

    def __str__(self):
        if self.county_id:
            return f"{self.county.name} · {self.get_kind_display()}"
        return self.get_kind_display()


class FundEntryKind(models.TextChoices):
    DEPOSIT = "deposit", "资金拨入"
    PAYMENT = "payment", "救助划付"
    RETURN = "return", "返还代偿资金"
    FINANCE_DEMAND = "finance_demand", "县级财政应筹"
    FINANCE_ARRIVAL = "finance_arrival", "县级财政到位"


class FundEntry(models.Model):
    """资金流水: one movement of one account with its document (文号/凭证). `amount` is the change of the
    balance, `owed_change` the change of what the county finance still owes; the books balance when every
    account's balance and owed are the sums of its entries (`relief_fund_check`)."""

    account = models.ForeignKey(
        FundAccount, verbose_name="账户", on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField("类别", max_length=20, choices=FundEntryKind.choices)
    amount = models.DecimalField("金额变动（元）", max_digits=14, decimal_places=2, default=ZERO)
    owed_change = models.DecimalField("应筹变动（元）", max_digits=14, decimal_places=2, default=ZERO)
    balance_after = models.DecimalField("变动后余额（元）", max_digits=14, decimal_places=2)
    document = models.CharField("凭证/文号", max_length=100)
    case = models.ForeignKey(
        ReliefCase,
        verbose_name="救助案件",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fund_entries",
    )
    disbursement = models.ForeignKey(
        "DisbursementBatch",
        verbose_name="划付批次",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fund_entries",
    )
    note = models.CharField("摘要", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("记账时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资金流水"
        ordering = ["account_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="fund_entry_balance_after_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(amount=0) | ~Q(owed_change=0), name="fund_entry_moves_something"
            ),
            models.CheckConstraint(condition=~Q(document=""), name="fund_entry_has_document"),
        ]

    def __str__(self):
        return f"{self.account} {self.get_kind_display()} {self.amount}"


class DisbursementStatus(models.TextChoices):
    PREPARED = "prepared", "待审批"
    APPROVED = "approved", "已审批划付"
    CONFIRMED = "confirmed", "银行已入账"


DISBURSEMENT_TRANSITIONS = {
    DisbursementStatus.PREPARED: frozenset({DisbursementStatus.APPROVED}),
    DisbursementStatus.APPROVED: frozenset({DisbursementStatus.CONFIRMED}),
    DisbursementStatus.CONFIRMED: frozenset(),
}
BATCHES_PER_YEAR = 2  # 第二十二条（二）: 每年还款救助频度不超过2次


class DisbursementBatch(models.Model):
    """资金划付批次 (第二十二条): accepted cases paid from the relief fund to the bank's student-loan repayment
    account. At most two per calendar year (number 1 or 2, unique per year); prepared by a province officer,
    approved by a province manager who did not prepare it; the bank confirms crediting (入账)."""

    year = models.PositiveSmallIntegerField("年度（自然年）")
    number = models.PositiveSmallIntegerField("批次号")
    status = models.CharField(
        "状态", max_length=16, choices=DisbursementStatus.choices, default=DisbursementStatus.PREPARED
    )
    total = _money("划付总额（元）")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="编制人", on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField("编制时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入账确认人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("入账时间", null=True, blank=True)
    document = models.CharField("划付凭证/文号", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "资金划付批次"
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="disbursement_unique_number"),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=BATCHES_PER_YEAR),
                name="disbursement_at_most_two_per_year",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("prepared_by")),
                name="disbursement_approver_not_preparer",
            ),
        ]

    def __str__(self):
        return f"{self.year}年第{self.number}次救助资金划付"


class DisbursementItem(models.Model):
    """One case in a disbursement batch, with what each account pays (第六条). A case is paid once: the
    case is unique over all items."""

    batch = models.ForeignKey(
        DisbursementBatch, verbose_name="划付批次", on_delete=models.PROTECT, related_name="items"
    )
    case = models.OneToOneField(
        ReliefCase, verbose_name="救助案件", on_delete=models.PROTECT, related_name="disbursement_item"
    )
    priority = models.PositiveSmallIntegerField("优先顺序（第十七条）")
    amount = _money("救助金额（元）")
    from_reserve = _money("省级备用资金（元）")
    from_surplus = _money("县级结余奖励资金（元）")
    from_finance = _money("县级财政资金（元）")
    credited_at = models.DateTimeField("入账时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "划付明细"
        ordering = ["batch_id", "priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    amount=models.F("from_reserve") + models.F("from_surplus") + models.F("from_finance")
                )
                & Q(from_reserve__gte=0)
                & Q(from_surplus__gte=0)
                & Q(from_finance__gte=0),
                name="disbursement_item_sources_sum",
            )
        ]

    def __str__(self):
        return f"{self.batch} · {self.case.case_no}"


__all__ = [
    "BANK_AMOUNT_TRANSITIONS",
    "BATCHES_PER_YEAR",
    "DISBURSEMENT_TRANSITIONS",
    "PARTS",
    "PART_LABELS",
    "BankAmount",
    "BankAmountStatus",
    "DisbursementBatch",
    "DisbursementItem",
    "DisbursementStatus",
    "ReliefAmountFreeze",
    "WATERFALL",
    "FundAccount",
    "FundAccountKind",
    "FundEntry",
    "FundEntryKind",
    "LedgerImport",
]
