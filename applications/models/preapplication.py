from django.conf import settings
from django.db import models

from loanportal.models import Organisation
from loanportal.rules import validate_id_number, validate_person_name, validate_phone

from .. import states


class PreApplicationBasis(models.TextChoices):
    """The six bases of notice 三(六)."""

    REGISTERED_POOR = "registered_poor", "建档立卡贫困户"
    MINIMUM_LIVING = "minimum_living", "城乡低保户"
    RURAL_SUPPORT = "rural_support", "农村特困救助供养"
    ORPHAN_DISABLED = "orphan_disabled", "孤残学生"
    NATIONAL_GRANT = "national_grant", "高中阶段获国家助学金"
    SCHOOL_CERTIFIED = "school_certified", "其他经学校认定的家庭经济困难学生"


class PreApplicationStatus(models.TextChoices):
    LISTED = states.PRE_LISTED, "已预申请"
    APPLIED = states.PRE_APPLIED, "已受理贷款"
    WITHDRAWN = states.PRE_WITHDRAWN, "已撤销"


class PreApplicationImport(models.Model):
    """One uploaded list (预申请名单导入): all-or-nothing, with its row-level error report."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级机构", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("贷款年度")
    file_name = models.CharField("文件名", max_length=200)
    source_school = models.CharField("来源高中", max_length=100, blank=True)
    row_count = models.PositiveIntegerField("行数", default=0)
    succeeded = models.BooleanField("导入成功", default=False)
    errors = models.JSONField("错误报告", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "预申请名单导入"
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.file_name}（{self.created_at:%Y-%m-%d}）"


class PreApplication(models.Model):
    """首贷预申请: a student on the county's list before intake (notice 三(六)); skips the on-site
    eligibility review."""

    year = models.PositiveSmallIntegerField("贷款年度")
    # No single-column index on county: the two indexes below start with it (and every list and count
    # filters by county), so it would only slow each import's COPY down.
    county = models.ForeignKey(
        Organisation,
        verbose_name="生源地（县）",
        on_delete=models.PROTECT,
        related_name="pre_applications",
        db_index=False,
    )
    name = models.CharField("姓名", max_length=50, validators=[validate_person_name])
    id_number = models.CharField("身份证号", max_length=18, validators=[validate_id_number])
    basis = models.CharField("预申请依据", max_length=32, choices=PreApplicationBasis.choices)
    high_school = models.CharField("高中学校", max_length=100, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])
    note = models.CharField("备注", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=PreApplicationStatus.choices, default=PreApplicationStatus.LISTED
    )
    source = models.CharField("来源", max_length=16, choices=[("import", "名单导入"), ("manual", "现场补录")])
    batch = models.ForeignKey(
        PreApplicationImport,
        verbose_name="导入批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rows",
    )
    student = models.ForeignKey(
        "loanportal.Student",
        verbose_name="借款学生",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pre_applications",
    )
    # Not indexed: nothing looks pre-applications up by who entered them (accounts are deactivated, not
    # deleted), and an index would be written for every row of every imported list.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "首贷预申请"
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "id_number"], name="unique_pre_application_per_year"),
        ]
        indexes = [
            models.Index(fields=["county", "year", "status"]),
            # the list's order (-year, -pk) for one county, walked without a sort however long the list
            models.Index(fields=["county", "-year", "-id"], name="preapp_county_recent"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_basis_display()}）"
