"""Renewals app models: the fee standard (收费标准) the county intake form reads, and the renewal
declaration (续贷声明, notice 三(七)) with its review."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from loanportal.models import Organisation, StudyLevel
from loanportal.roles import OrgKind

from . import states


class FeeStandard(models.Model):
    """收费标准: a university's tuition and accommodation per major, level and year (notice 八: entered and
    the fee account confirmed by 7/15, `fee_standard_due`). Edited on the university's table page and by
    spreadsheet import (renewals.fees)."""

    university = models.ForeignKey(
        Organisation,
        verbose_name="高校",
        on_delete=models.PROTECT,
        related_name="fee_standards",
        limit_choices_to={"kind": OrgKind.UNIVERSITY},
    )
    year = models.PositiveSmallIntegerField("年度")
    major = models.CharField("专业", max_length=100)
    level = models.CharField("学历层次", max_length=16, choices=StudyLevel.choices)
    tuition = models.PositiveIntegerField("学费（元/年）")
    accommodation = models.PositiveIntegerField("住宿费（元/年）", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "收费标准"
        ordering = ["university", "-year", "major", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["university", "year", "major", "level"], name="unique_fee_standard"
            ),
        ]

    def __str__(self):
        return f"{self.university} {self.year} {self.major}（{self.get_level_display()}）"

    def clean(self):
        if self.university_id and self.university.kind != OrgKind.UNIVERSITY:
            raise ValidationError({"university": "收费标准只能属于高校"})


class FeeAccount(models.Model):
    """收费账户: the account the bank pays a university's tuition into, confirmed by the university once a
    loan year (notice 八, with the fee standards by 7/15): who confirmed it and when."""

    university = models.ForeignKey(
        Organisation,
        verbose_name="高校",
        on_delete=models.PROTECT,
        related_name="fee_accounts",
        limit_choices_to={"kind": OrgKind.UNIVERSITY},
    )
    year = models.PositiveSmallIntegerField("年度")
    account_name = models.CharField("账户名称", max_length=100)
    bank_name = models.CharField("开户银行", max_length=100)
    account_number = models.CharField(
        "账号",
        max_length=32,
        validators=[
            RegexValidator(r"^[0-9]{8,30}$", "账号应为8–30位数字（不含空格和横线）"),
        ],
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField("确认时间")

    class Meta:
        verbose_name = verbose_name_plural = "收费账户确认"
        ordering = ["university", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["university", "year"], name="unique_fee_account_per_year"),
        ]

    def __str__(self):
        return f"{self.university} {self.year}年度收费账户"


class LateFeeUniversity(models.Model):
    """逾期高校: a university that, after its (extended) `fee_standard_due`, had no fee standards or no fee
    account confirmation for the year — recorded once by the calendar's enforcement for the province's list."""

    university = models.ForeignKey(
        Organisation,
        verbose_name="高校",
        on_delete=models.PROTECT,
        related_name="late_fee_years",
        limit_choices_to={"kind": OrgKind.UNIVERSITY},
    )
    year = models.PositiveSmallIntegerField("年度")
    deadline = models.DateField("截止日期")
    missing_standards = models.BooleanField("未录入收费标准", default=False)
    missing_account = models.BooleanField("未确认收费账户", default=False)
    recorded_at = models.DateTimeField("列入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "收费标准逾期高校"
        ordering = ["-year", "university"]
        constraints = [
            models.UniqueConstraint(fields=["university", "year"], name="unique_late_fee_university"),
        ]

    def __str__(self):
        return f"{self.university} {self.year}年度收费标准逾期"


class RenewalImport(models.Model):
    """One upload of the bank system's renewal declarations (续贷声明导入): all rows or none; a rejected
    file keeps its row-level error report (sheet row numbers)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="导入机构", on_delete=models.PROTECT, related_name="renewal_imports"
    )
    file_name = models.CharField("文件名", max_length=200)
    row_count = models.PositiveIntegerField("行数", default=0)
    succeeded = models.BooleanField("导入成功", default=False)
    errors = models.JSONField("错误报告", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "续贷声明导入"
        ordering = ["-pk"]

    def __str__(self):
        return f"续贷声明导入 {self.pk} {self.file_name}"


class RenewalStatus(models.TextChoices):
    SUBMITTED = states.SUBMITTED, states.LABELS[states.SUBMITTED]
    RESUBMITTED = states.RESUBMITTED, states.LABELS[states.RESUBMITTED]
    APPROVED = states.APPROVED, states.LABELS[states.APPROVED]
    RETURNED = states.RETURNED, states.LABELS[states.RETURNED]
    REJECTED = states.REJECTED, states.LABELS[states.REJECTED]


class RenewalSource(models.TextChoices):
    IMPORT = "import", "银行系统导入"
    API = "api", "接口提交"
    WINDOW = "window", "窗口补录"
    SYSTEM = "system", "系统"


class RenewalDeclaration(models.Model):
    """续贷声明: a borrowing student declares to continue the loan for a school year (notice 三(七)). The
    student's university reviews it; for an out-of-province university also the student's county, which
    takes over (兜底) what the university left unreviewed after the review date (`handed_to_county`)."""

    student = models.ForeignKey(
        "loanportal.Student", verbose_name="学生", on_delete=models.PROTECT, related_name="renewals"
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="原贷款申请",
        on_delete=models.PROTECT,
        related_name="renewals",
        null=True,
        blank=True,
    )
    contract_number = models.CharField("原合同编号", max_length=40, blank=True)
    year = models.PositiveSmallIntegerField("贷款年度（学年）")
    # The student's county and university when declaring: the scope and the routing read these.
    county = models.ForeignKey(
        Organisation,
        verbose_name="县级资助中心",
        on_delete=models.PROTECT,
        related_name="renewals_of_county",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    university = models.ForeignKey(
        Organisation,
        verbose_name="高校",
        on_delete=models.PROTECT,
        related_name="renewals_of_university",
        limit_choices_to={"kind": OrgKind.UNIVERSITY},
    )
    tuition_amount = models.PositiveIntegerField("申请学费贷款（元）", default=0)
    accommodation_amount = models.PositiveIntegerField("申请住宿费贷款（元）", default=0)
    statement = models.TextField("学生声明", blank=True)
    declared_on = models.DateField("声明日期")
    source = models.CharField("来源", max_length=16, choices=RenewalSource.choices, default="api")
    import_batch = models.ForeignKey(
        RenewalImport,
        verbose_name="导入批次",
        on_delete=models.PROTECT,
        related_name="declarations",
        null=True,
        blank=True,
    )
    status = models.CharField(
        "状态", max_length=16, choices=RenewalStatus.choices, default=states.SUBMITTED, db_index=True
    )
    reviewer_organisation = models.ForeignKey(
        Organisation,
        verbose_name="审核机构",
        on_delete=models.PROTECT,
        related_name="renewals_reviewed",
        null=True,
        blank=True,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_reason = models.TextField("退回/不通过原因", blank=True)
    return_count = models.PositiveSmallIntegerField("退回次数", default=0)
    handed_to_county = models.BooleanField("已转县级审核", default=False)
    handed_to_county_at = models.DateTimeField("转县级审核时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "续贷声明"
        ordering = ["-year", "-declared_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "year"], name="unique_renewal_per_student_year"),
        ]

    def __str__(self):
        return f"{self.student.name} {self.year}年度续贷声明"

    @property
    def total_amount(self) -> int:
        return self.tuition_amount + self.accommodation_amount

    @property
    def handed_over_note(self) -> str:
        return states.HANDED_OVER_NOTE if self.handed_to_county else ""
