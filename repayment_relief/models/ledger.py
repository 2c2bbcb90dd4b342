"""Loan ledger from the bank (贷款台账): contracts and their ledger snapshots.

One contract (合同) per borrower per school year. The bank sends each contract's ledger as of a day
(RELIEF-AMOUNTS.md); every snapshot is kept, and the one with the latest ledger day is the contract's
`is_latest` snapshot that the relief amount reads.
"""

import datetime
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from loanportal.models import Organisation, Student
from loanportal.roles import OrgKind

from ..ledger import Instalment, LedgerSnapshot, OverdueItem, RateEntry

ZERO = Decimal("0.00")


class LoanContract(models.Model):
    """借款合同: one per borrower per school year (学年), lent by the bank branch."""

    contract_no = models.CharField(
        "合同号", max_length=40, unique=True, error_messages={"unique": "该合同号已存在"}
    )
    borrower = models.ForeignKey(
        Student, verbose_name="借款学生", on_delete=models.PROTECT, related_name="loan_contracts"
    )
    county = models.ForeignKey(
        Organisation,
        verbose_name="经办县（生源地）",
        on_delete=models.PROTECT,
        related_name="loan_contracts",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    principal = models.DecimalField(
        "合同金额（元）", max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    school_year = models.PositiveSmallIntegerField(
        "学年", help_text="学年开始的年份，如 2021 表示 2021–2022 学年"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "借款合同"
        ordering = ["contract_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "school_year"],
                name="loan_contract_one_per_school_year",
                violation_error_message="该学生该学年已有借款合同",
            )
        ]

    def __str__(self):
        return self.contract_no


class LoanLedgerSnapshot(models.Model):
    """台账快照: one contract's ledger as of `as_of` (RELIEF-AMOUNTS.md fields). History is kept."""

    contract = models.ForeignKey(
        LoanContract, verbose_name="借款合同", on_delete=models.CASCADE, related_name="ledger_snapshots"
    )
    as_of = models.DateField("台账日期")
    interest_settled_through = models.DateField("利息结算至")
    outstanding_principal = models.DecimalField("未还本金（元）", max_digits=12, decimal_places=2)
    penalty_accrued = models.DecimalField("已计罚息（元）", max_digits=12, decimal_places=2)
    rates = models.JSONField("利率", help_text='[{"from": "YYYY-MM-DD", "annual_rate": "2.80"}]')
    overdue = models.JSONField("逾期项目", default=list, blank=True)
    schedule = models.JSONField("还款计划", default=list, blank=True)
    is_latest = models.BooleanField("最新", default=True, db_index=True)
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账快照"
        ordering = ["contract_id", "-as_of", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"], condition=Q(is_latest=True), name="ledger_snapshot_one_latest"
            )
        ]
        indexes = [models.Index(fields=["contract", "-as_of"], name="ledger_snapshot_recent")]

    def __str__(self):
        return f"{self.contract_id} @ {self.as_of}"

    def to_ledger(self) -> LedgerSnapshot:
        """The pure snapshot the amount function reads (validated again on the way)."""
        return LedgerSnapshot(
            contract_no=self.contract.contract_no,
            as_of=self.as_of,
            interest_settled_through=self.interest_settled_through,
            outstanding_principal=self.outstanding_principal,
            rates=tuple(RateEntry(_day(r["from"]), Decimal(r["annual_rate"])) for r in self.rates),
            overdue=tuple(OverdueItem(o["kind"], _day(o["due"]), Decimal(o["amount"])) for o in self.overdue),
            penalty_accrued=self.penalty_accrued,
            schedule=tuple(Instalment(_day(i["due"]), Decimal(i["principal"])) for i in self.schedule),
        )


def _day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)
