from django.core.exceptions import ValidationError
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

    def limit_for(self, level: str) -> int:
        from loanportal.models import StudyLevel

        return self.graduate_limit if level == StudyLevel.GRADUATE else self.undergraduate_limit
