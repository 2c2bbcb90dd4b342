"""The county summary to the province (汇总表 + 公示情况说明) and the public notice of borrowers (公示)."""

from django.conf import settings
from django.db import models

from loanportal.models import Organisation

from .. import states


class SummaryStatus(models.TextChoices):
    GENERATED = states.SUMMARY_GENERATED, states.SUMMARY_LABELS[states.SUMMARY_GENERATED]
    SUBMITTED = states.SUMMARY_SUBMITTED, states.SUMMARY_LABELS[states.SUMMARY_SUBMITTED]
    RETURNED = states.SUMMARY_RETURNED, states.SUMMARY_LABELS[states.SUMMARY_RETURNED]
    FORWARDED = states.SUMMARY_FORWARDED, states.SUMMARY_LABELS[states.SUMMARY_FORWARDED]


class PublicNotice(models.Model):
    """公示: the list of borrowers a county will report, shown for at least 5 working days at a place,
    with an objection log; visible only while its period runs (taken down when it ends)."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级资助中心", on_delete=models.PROTECT, related_name="public_notices"
    )
    year = models.PositiveSmallIntegerField("贷款年度")
    place = models.CharField("公示地点", max_length=200)
    starts_on = models.DateField("公示开始日期")
    ends_on = models.DateField("公示结束日期")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "贷款学生公示"
        ordering = ["-year", "-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="one_public_notice_per_county_year"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="public_notice_period_order"
            ),
        ]

    def __str__(self):
        return f"{self.county.name} {self.year}年度贷款学生公示"


class PublicNoticeEntry(models.Model):
    """One line of the notice. Holds only what a notice may show (name, school, department, year, major,
    class): ID number, address, phone, birth date and bank card have no column here."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    name = models.CharField("姓名", max_length=50)
    school = models.CharField("学校", max_length=100)
    department = models.CharField("院系", max_length=100, blank=True)
    enrolment_year = models.PositiveSmallIntegerField("年级", null=True, blank=True)
    major = models.CharField("专业", max_length=100, blank=True)
    class_name = models.CharField("班级", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "公示名单"
        ordering = ["pk"]

    def __str__(self):
        return self.name


class NoticeObjection(models.Model):
    """异议登记: an objection received during the notice, and how the county handled it."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    entry = models.ForeignKey(
        PublicNoticeEntry,
        verbose_name="涉及学生",
        on_delete=models.PROTECT,
        related_name="objections",
        null=True,
        blank=True,
    )
    received_on = models.DateField("受理日期")
    content = models.TextField("异议内容", max_length=1000)
    handling = models.TextField("处理情况", max_length=1000, blank=True)
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"
        ordering = ["received_on", "pk"]

    def __str__(self):
        return f"{self.notice} 异议 {self.pk}"

    @property
    def is_handled(self) -> bool:
        return bool(self.handled_at)


class CountySummary(models.Model):
    """A county's 《生源地助学贷款申请汇总表》 and 《公示情况说明》 of a loan year: figures generated from the
    data (frozen when generated, so the city and the province see what the county checked), checked and
    submitted by the county manager, returned or forwarded by the city (notice 八)."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级资助中心", on_delete=models.PROTECT, related_name="summaries"
    )
    year = models.PositiveSmallIntegerField("贷款年度")
    status = models.CharField(
        "状态", max_length=16, choices=SummaryStatus.choices, default=SummaryStatus.GENERATED, db_index=True
    )
    figures = models.JSONField("汇总数据", default=dict, blank=True)
    statement = models.JSONField("公示情况说明", default=dict, blank=True)
    notice = models.ForeignKey(
        PublicNotice, verbose_name="公示", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generated_at = models.DateTimeField("生成时间")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="生成人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核报送人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    returned_reason = models.CharField("退回原因", max_length=500, blank=True)
    forwarded_at = models.DateTimeField("报送省中心时间", null=True, blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="市级报送人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "县级申请汇总表"
        ordering = ["-year", "county__code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="one_summary_per_county_year"),
        ]

    def __str__(self):
        return f"{self.county.name} {self.year}年度申请汇总表"

    @property
    def total(self) -> dict:
        return (self.figures or {}).get("total") or {}
