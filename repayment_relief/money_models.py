"""Models of relief money (还款救助资金): ledger imports, the relief fund's accounts and entries (第六–七条).

Imported by models.py so that Django registers them with the app.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from loanportal.models import Organisation
from loanportal.roles import OrgKind

ZERO = Decimal("0.00")


class LedgerImport(models.Model):
    """台账导入批次: one upload of the bank's ledger spreadsheet. A refused file keeps its error report."""

    file_name = models.CharField("文件名", max_length=200)
    row_count = models.PositiveIntegerField("行数", default=0)
    contracts_created = models.PositiveIntegerField("新建合同数", default=0)
    snapshots_latest = models.PositiveIntegerField("成为最新台账数", default=0)
    succeeded = models.BooleanField("导入成功", default=False)
    errors = models.JSONField("错误报告", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账导入批次"
        ordering = ["-pk"]

    def __str__(self):
        return f"台账导入 {self.pk} {self.file_name}"


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


__all__ = [
    "WATERFALL",
    "FundAccount",
    "FundAccountKind",
    "FundEntry",
    "FundEntryKind",
    "LedgerImport",
]
