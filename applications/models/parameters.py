import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class LoanPolicy(models.Model):
    """Policy parameters of one loan year (贷款年度政策参数), editable by province managers with audit.

    Defaults (DESIGN.md table): annual limit 20,000 (undergraduate/vocational) and 25,000 (graduate) from
    autumn 2024; minimum 1,000; rate 5-year LPR − 70 bp from October 2024.
    """

    year = models.PositiveSmallIntegerField("贷款年度", unique=True)
    effective_from = models.DateField("生效日期")
    undergraduate_limit = models.PositiveIntegerField("本专科年度上限（元）")
    graduate_limit = models.PositiveIntegerField("研究生年度上限（元）")
    minimum_amount = models.PositiveIntegerField("最低金额（元）", default=1000)
    rate_rule = models.CharField("利率规则", max_length=100, default="5年期LPR减70个基点")
    rate_spread_bp = models.IntegerField("LPR加减点（基点）", default=-70)
    # The bank's settlement conventions the relief amount reads (repayment_relief.rules.relief_amount).
    penalty_factor = models.DecimalField(
        "罚息倍数（按合同利率）",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.30"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("3.00"))],
        help_text="逾期本金和逾期利息按合同利率的该倍数按日计收罚息（默认 1.3，即 130%）",
    )
    day_basis = models.PositiveSmallIntegerField(
        "计息天数基数",
        default=360,
        validators=[MinValueValidator(360), MaxValueValidator(366)],
        help_text="日利率 = 年利率 ÷ 该天数（默认 360）",
    )
    settlement_month = models.PositiveSmallIntegerField(
        "结息还款月", default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    settlement_day = models.PositiveSmallIntegerField(
        "结息还款日",
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="每年结息并归还当期本金的日子（默认 12 月 20 日）",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度政策参数"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年度政策参数"

    def clean(self):
        if (
            self.minimum_amount
            and self.undergraduate_limit
            and self.minimum_amount > self.undergraduate_limit
        ):
            raise ValidationError({"minimum_amount": "最低金额不能高于年度上限"})
        if self.settlement_month and self.settlement_day:
            try:
                datetime.date(2001, self.settlement_month, self.settlement_day)  # a common year: no 29 Feb
            except ValueError:
                raise ValidationError(
                    {
                        "settlement_day": f"{self.settlement_month}月没有{self.settlement_day}日（须每年都有的日子）"
                    }
                ) from None

    def limit_for(self, level: str) -> int:
        from loanportal.models import StudyLevel

        return self.graduate_limit if level == StudyLevel.GRADUATE else self.undergraduate_limit
