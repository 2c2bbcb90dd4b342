"""The yearly calendar as data (notice 八): loan years, key dates, per-organisation extensions, and the
records of what the daily calendar job did (enforcement runs, reminders, the run log)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from loanportal.models import Organisation
from loanportal.roles import OrgKind


class LoanYear(models.Model):
    """贷款年度: a loan year Y runs from its first key date in year Y to its archive date (3/31 of Y+1)."""

    year = models.PositiveSmallIntegerField("贷款年度", unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "贷款年度"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年度"

    def clean(self):
        if not 2000 <= (self.year or 0) <= 2100:
            raise ValidationError({"year": "贷款年度应为2000–2100之间的年份"})


def default_reminder_days() -> list[int]:
    return [7, 3, 1]


class KeyDate(models.Model):
    """时间节点: one date (start = end) or a window of the loan year, owed by one kind of organisation.

    `enforcement_action` names the handler (deadlines.registry) the daily job runs for each organisation
    once that organisation's (possibly extended) end date has passed.
    """

    loan_year = models.ForeignKey(
        LoanYear, verbose_name="贷款年度", on_delete=models.CASCADE, related_name="key_dates"
    )
    code = models.SlugField("代码", max_length=40)
    label = models.CharField("事项", max_length=200)
    short_label = models.CharField("简称", max_length=40, help_text="用于提示语，如“现场受理期”")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("截止日期", help_text="单一时间节点与开始日期相同")
    owed_by = models.CharField(
        "责任机构",
        max_length=16,
        choices=OrgKind.choices,
        help_text="哪一类机构需在此日期前完成",
    )
    reminder_days = models.JSONField(
        "提前提醒天数", default=default_reminder_days, blank=True, help_text="如 [7, 3, 1]"
    )
    enforcement_action = models.CharField(
        "到期处理", max_length=80, blank=True, help_text="截止后由每日任务执行的处理（可空）"
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "时间节点"
        ordering = ["loan_year", "order", "end_date"]
        constraints = [
            models.UniqueConstraint(fields=["loan_year", "code"], name="unique_key_date_code_per_year"),
        ]

    def __str__(self):
        return f"{self.loan_year.year}年度 {self.label}"

    @property
    def is_window(self) -> bool:
        return self.start_date != self.end_date

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "截止日期不能早于开始日期"})
        days = self.reminder_days or []
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 60 for d in days):
            raise ValidationError({"reminder_days": "提前提醒天数应为0–60之间的整数列表，如 [7, 3, 1]"})
        self.reminder_days = sorted(set(days), reverse=True)


class KeyDateExtension(models.Model):
    """延期: one organisation's own end date for a key date (e.g. one county's intake window to 9/30)."""

    key_date = models.ForeignKey(
        KeyDate, verbose_name="时间节点", on_delete=models.CASCADE, related_name="extensions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="机构", on_delete=models.PROTECT, related_name="key_date_extensions"
    )
    end_date = models.DateField("延期至")
    reason = models.TextField("延期原因")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="批准人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("批准时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "时间节点延期"
        ordering = ["key_date", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["key_date", "organisation"], name="unique_extension_per_organisation"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} {self.key_date.short_label}延期至{self.end_date:%Y-%m-%d}"

    def clean(self):
        if self.key_date_id and self.organisation_id:
            if self.organisation.kind != self.key_date.owed_by:
                raise ValidationError(
                    {
                        "organisation": f"该时间节点由{OrgKind(self.key_date.owed_by).label}负责，不能为此机构延期"
                    }
                )
            if self.end_date and self.end_date <= self.key_date.end_date:
                raise ValidationError(
                    {"end_date": f"延期日期应晚于原截止日期（{self.key_date.end_date:%Y年%-m月%-d日}）"}
                )
        if len((self.reason or "").strip()) < 2:
            raise ValidationError({"reason": "请填写延期原因"})


class EnforcementRun(models.Model):
    """到期处理记录: the enforcement of one key date for one organisation happened (exactly once)."""

    key_date = models.ForeignKey(
        KeyDate, verbose_name="时间节点", on_delete=models.CASCADE, related_name="enforcement_runs"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="机构", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("处理", max_length=80)
    deadline = models.DateField("截止日期")
    due_on = models.DateField("应执行日期")
    run_on = models.DateField("实际执行日期")
    touched = models.PositiveIntegerField("涉及记录数", default=0)
    summary = models.JSONField("处理明细", default=list, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "到期处理记录"
        ordering = ["-due_on", "key_date", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["key_date", "organisation"], name="unique_enforcement_once"),
        ]

    def __str__(self):
        return f"{self.key_date.short_label} · {self.organisation}"


class ReminderStatus(models.TextChoices):
    SENT = "sent", "已提醒"
    NOTHING_OWED = "nothing_owed", "无待办，未提醒"
    SUPERSEDED = "superseded", "错过时点，由更近的提醒代替"


class Reminder(models.Model):
    """截止提醒: one lead time (7/3/1 days) of one key date for one organisation and one deadline."""

    key_date = models.ForeignKey(
        KeyDate, verbose_name="时间节点", on_delete=models.CASCADE, related_name="reminders"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="机构", on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField("截止日期")
    lead_days = models.PositiveSmallIntegerField("提前天数")
    scheduled_on = models.DateField("应提醒日期")
    processed_on = models.DateField("处理日期")
    status = models.CharField("结果", max_length=16, choices=ReminderStatus.choices)
    outstanding = models.PositiveIntegerField("待办数量", null=True, blank=True)
    recipients = models.PositiveIntegerField("接收人数", default=0)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "截止提醒"
        ordering = ["-scheduled_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["key_date", "organisation", "deadline", "lead_days"], name="unique_reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.key_date.short_label} · {self.organisation} · 提前{self.lead_days}天"


class CalendarRun(models.Model):
    """每日任务日志: one row per calendar day the job ran for (re-runs update it)."""

    as_of = models.DateField("业务日期", unique=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    enforcements = models.PositiveIntegerField("到期处理数", default=0)
    reminders_sent = models.PositiveIntegerField("发送提醒数", default=0)
    runs = models.PositiveIntegerField("执行次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "每日任务日志"
        ordering = ["-as_of"]

    def __str__(self):
        return f"{self.as_of:%Y-%m-%d}"
