from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from loanportal.models import Organisation
from loanportal.rules import validate_id_number, validate_person_name, validate_phone

from .. import states


class SiteKind(models.TextChoices):
    COUNTY_CENTER = "county_center", "县资助中心"
    TOWNSHIP = "township", "乡镇受理点"
    HIGH_SCHOOL = "high_school", "高中受理点"
    SECOND_SITE = "second_site", "第二受理现场"


class IntakePlan(models.Model):
    """受理预案 (notice 四(九)): the county's plan for the intake season."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级机构", on_delete=models.PROTECT, related_name="intake_plans"
    )
    year = models.PositiveSmallIntegerField("贷款年度")
    expected_applicants = models.PositiveIntegerField("预计受理人数", default=0)
    volunteers = models.PositiveSmallIntegerField("志愿者人数", default=0)
    measures = models.TextField("错峰、秩序维护、咨询等措施", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "受理预案"
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="unique_intake_plan")]

    def __str__(self):
        return f"{self.county} {self.year}年受理预案"


class IntakeSite(models.Model):
    """受理点: county center, township, high school (受理下沉, notice 四(十))."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级机构", on_delete=models.PROTECT, related_name="intake_sites"
    )
    name = models.CharField("受理点名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=SiteKind.choices, default=SiteKind.COUNTY_CENTER)
    address = models.CharField("地址", max_length=200, blank=True)
    opening_weekdays = models.JSONField("开放日（周一=1）", default=list)
    opens_at = models.TimeField("开始时间")
    closes_at = models.TimeField("结束时间")
    lunch_break_minutes = models.PositiveSmallIntegerField("午休（分钟）", default=0)
    minutes_per_case = models.PositiveSmallIntegerField("每件办理时长（分钟）", default=15)
    slot_minutes = models.PositiveSmallIntegerField("预约时段长度（分钟）", default=60)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "受理点"
        ordering = ["county", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": "结束时间应晚于开始时间"})
        if self.minutes_per_case == 0:
            raise ValidationError({"minutes_per_case": "每件办理时长应大于0"})


class IntakeWindow(models.Model):
    """受理窗口 at a site."""

    site = models.ForeignKey(
        IntakeSite, verbose_name="受理点", on_delete=models.CASCADE, related_name="windows"
    )
    number = models.PositiveSmallIntegerField("窗口号")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "受理窗口"
        ordering = ["site", "number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="unique_window_number")]

    def __str__(self):
        return f"{self.site.name} {self.number}号窗口"


class TimeSlot(models.Model):
    """An appointment time slot at a site (预约时段) with its capacity; `booked` is kept under row lock."""

    site = models.ForeignKey(
        IntakeSite, verbose_name="受理点", on_delete=models.CASCADE, related_name="slots"
    )
    date = models.DateField("日期")
    starts_at = models.TimeField("开始")
    ends_at = models.TimeField("结束")
    capacity = models.PositiveSmallIntegerField("可预约人数")
    booked = models.PositiveSmallIntegerField("已预约", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "预约时段"
        ordering = ["date", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "date", "starts_at"], name="unique_slot"),
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"
            ),
        ]

    def __str__(self):
        return f"{self.date:%m-%d} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class AppointmentStatus(models.TextChoices):
    BOOKED = states.BOOKED, states.APPOINTMENT_LABELS[states.BOOKED]
    CHECKED_IN = states.CHECKED_IN, states.APPOINTMENT_LABELS[states.CHECKED_IN]
    CALLED = states.CALLED, states.APPOINTMENT_LABELS[states.CALLED]
    SERVED = states.SERVED, states.APPOINTMENT_LABELS[states.SERVED]
    NO_SHOW = states.NO_SHOW, states.APPOINTMENT_LABELS[states.NO_SHOW]
    CANCELLED = states.CANCELLED, states.APPOINTMENT_LABELS[states.CANCELLED]


class Appointment(models.Model):
    """预约 / 现场取号: booked for a phone caller, given to a pre-application list in bulk, or a walk-in."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级机构", on_delete=models.PROTECT, related_name="appointments"
    )
    site = models.ForeignKey(
        IntakeSite, verbose_name="受理点", on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(
        TimeSlot,
        verbose_name="预约时段",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    date = models.DateField("日期", db_index=True)
    name = models.CharField("姓名", max_length=50, validators=[validate_person_name])
    id_number = models.CharField("身份证号", max_length=18, validators=[validate_id_number])
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])
    pre_application = models.ForeignKey(
        "applications.PreApplication",
        verbose_name="预申请",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    is_walk_in = models.BooleanField("现场取号", default=False)
    status = models.CharField(
        "状态", max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    queue_number = models.PositiveIntegerField("排队号", null=True, blank=True)
    window = models.ForeignKey(
        IntakeWindow,
        verbose_name="办理窗口",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="预约人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "预约"
        ordering = ["date", "queue_number", "pk"]
        indexes = [models.Index(fields=["site", "date", "status"])]
        constraints = [
            # The same ID number holds at most one live appointment a day (booked, checked in or called).
            models.UniqueConstraint(
                fields=["id_number", "date"],
                condition=models.Q(status__in=list(states.APPOINTMENT_LIVE)),
                name="one_live_appointment_per_id_and_day",
                violation_error_message="该身份证号当天已有有效预约",
            ),
            # One queue number per site and day (叫号不重号).
            models.UniqueConstraint(
                fields=["site", "date", "queue_number"], name="unique_queue_number_per_site_day"
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.date:%m-%d}"


class QueueLevel(models.TextChoices):
    GREEN = "green", "正常"
    AMBER = "amber", "关注"
    RED = "red", "预警"


class QueueSnapshot(models.Model):
    """预警机制 (notice 四(十一)): a daily figure per county."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级机构", on_delete=models.PROTECT, related_name="queue_snapshots"
    )
    date = models.DateField("日期")
    capacity_next_7 = models.PositiveIntegerField("未来7天容量", default=0)
    booked_next_7 = models.PositiveIntegerField("未来7天已预约", default=0)
    waiting_now = models.PositiveIntegerField("当前排队人数", default=0)
    served_today = models.PositiveIntegerField("当日办结", default=0)
    served_per_window_hour = models.DecimalField("每窗口小时办结", max_digits=6, decimal_places=2, default=0)
    days_until_full = models.IntegerField("预约号满剩余天数", null=True, blank=True)
    days_until_cleared = models.IntegerField("预计受理完毕天数", null=True, blank=True)
    level = models.CharField("预警级别", max_length=8, choices=QueueLevel.choices, default=QueueLevel.GREEN)
    reasons = models.JSONField("预警原因", default=list, blank=True)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "受理预警快照"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["county", "date"], name="unique_queue_snapshot")]

    def __str__(self):
        return f"{self.county} {self.date}"
