"""Core models: organisations, users, students, co-borrowers, audit log, notifications."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from .roles import ROLE_ORG_KIND, OrgKind, Role
from .rules import birth_date_of, validate_id_number, validate_person_name, validate_phone


class Organisation(models.Model):
    """机构: province → city → county (6-digit administrative code), universities, the bank branch."""

    kind = models.CharField("机构类型", max_length=16, choices=OrgKind.choices, db_index=True)
    name = models.CharField("机构名称", max_length=100)
    code = models.CharField(
        "机构代码",
        max_length=10,
        unique=True,
        help_text="省/市/县为6位行政区划代码；高校为5位院校代码",
        validators=[RegexValidator(r"^\d{5,10}$", "机构代码应为5–10位数字")],
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    in_province = models.BooleanField("省内", default=True, help_text="高校是否位于本省")
    expected_applicants = models.PositiveIntegerField(
        "预计受理人数", default=0, help_text="县级：本年度预计申请人数"
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "机构"
        ordering = ["kind", "code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind in (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.COUNTY) and not (
            self.code and len(self.code) == 6
        ):
            raise ValidationError({"code": "省、市、县机构代码应为6位行政区划代码"})
        expected_parent = {OrgKind.CITY: OrgKind.PROVINCE, OrgKind.COUNTY: OrgKind.CITY}.get(self.kind)
        if expected_parent and (self.parent is None or self.parent.kind != expected_parent):
            raise ValidationError(
                {"parent": f"{self.get_kind_display()}的上级机构应为{OrgKind(expected_parent).label}"}
            )

    @property
    def city(self):
        if self.kind == OrgKind.CITY:
            return self
        if self.kind == OrgKind.COUNTY:
            return self.parent
        return None


class PortalUserManager(UserManager):
    def get_queryset(self):
        return super().get_queryset().select_related("organisation")


class User(AbstractUser):
    """A portal user: one organisation, one role."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name="所属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices, blank=True)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])

    objects = PortalUserManager()

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username

    def clean(self):
        super().clean()
        if self.role:
            if self.organisation is None:
                raise ValidationError({"organisation": "有角色的用户必须属于一个机构"})
            expected = ROLE_ORG_KIND[Role(self.role)]
            if self.organisation.kind != expected:
                raise ValidationError(
                    {"role": f"角色“{self.get_role_display()}”只能属于{OrgKind(expected).label}"}
                )

    def has_role(self, *roles) -> bool:
        return self.is_authenticated and self.role in roles

    @property
    def is_manager(self) -> bool:
        from .roles import MANAGER_ROLES

        return self.role in MANAGER_ROLES


class StudyLevel(models.TextChoices):
    VOCATIONAL = "vocational", "专科（高职）"
    UNDERGRADUATE = "undergraduate", "本科"
    SECOND_DEGREE = "second_degree", "第二学士学位"
    GRADUATE = "graduate", "研究生"


class Student(models.Model):
    """借款学生. Visible to the household county (生源地), its city, the province and the university."""

    name = models.CharField("姓名", max_length=50, validators=[validate_person_name])
    id_number = models.CharField(
        "身份证号",
        max_length=18,
        unique=True,
        validators=[validate_id_number],
        error_messages={"unique": "该身份证号的学生已存在"},
    )
    household_county = models.ForeignKey(
        Organisation,
        verbose_name="生源地（县）",
        on_delete=models.PROTECT,
        related_name="household_students",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])
    address = models.CharField("家庭住址", max_length=200, blank=True)
    level = models.CharField(
        "学历层次", max_length=16, choices=StudyLevel.choices, default=StudyLevel.UNDERGRADUATE
    )
    university = models.ForeignKey(
        Organisation,
        verbose_name="就读高校",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolled_students",
        limit_choices_to={"kind": OrgKind.UNIVERSITY},
    )
    department = models.CharField("院系", max_length=100, blank=True)
    major = models.CharField("专业", max_length=100, blank=True)
    enrolment_year = models.PositiveSmallIntegerField("入学年份", null=True, blank=True)
    study_years = models.PositiveSmallIntegerField("学制（年）", null=True, blank=True)
    class_name = models.CharField("班级", max_length=100, blank=True, default="", db_default="")
    student_number = models.CharField("学号", max_length=32, blank=True, default="", db_default="")
    # Graduation confirmation and information maintenance (notice 七(十九)): the data the relief
    # measures later need to reach a borrower.
    graduation_date = models.DateField("毕业时间", null=True, blank=True)
    graduation_confirmed_at = models.DateTimeField("毕业确认时间", null=True, blank=True)
    graduation_confirmed_by = models.ForeignKey(
        "loanportal.User",
        verbose_name="毕业确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    employer = models.CharField("工作单位", max_length=200, blank=True, default="", db_default="")
    employment_status = models.CharField("就业情况", max_length=50, blank=True, default="", db_default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "借款学生"
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["household_county", "name"]),
            models.Index(fields=["university", "name"]),
            models.Index(fields=["university", "department", "class_name"], name="student_uni_class"),
            # The student list of a county or a university, newest first (ordering -pk): without these the
            # planner walks the whole pk index past every other county's students (1.6 million of one
            # county after a province's ledger: 0.3 s a page, the load bench's 11 s p95).
            models.Index(fields=["household_county", "-id"], name="student_county_recent"),
            models.Index(fields=["university", "-id"], name="student_university_recent"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.household_county_id and self.household_county.kind != OrgKind.COUNTY:
            raise ValidationError({"household_county": "生源地必须是县级机构"})
        if self.university_id and self.university.kind != OrgKind.UNIVERSITY:
            raise ValidationError({"university": "就读高校必须是高校机构"})
        if self.study_years is not None and not 1 <= self.study_years <= 8:
            raise ValidationError({"study_years": "学制应在1–8年之间"})

    @property
    def birth_date(self):
        return birth_date_of(self.id_number)


class Relationship(models.TextChoices):
    FATHER = "father", "父亲"
    MOTHER = "mother", "母亲"
    GUARDIAN = "guardian", "法定监护人"
    SPOUSE = "spouse", "配偶"
    OTHER = "other", "其他亲属"


class CoBorrower(models.Model):
    """共同借款人: usually a parent or guardian; ID validated the same way as the student's."""

    student = models.ForeignKey(
        Student, verbose_name="借款学生", on_delete=models.CASCADE, related_name="co_borrowers"
    )
    name = models.CharField("姓名", max_length=50, validators=[validate_person_name])
    id_number = models.CharField("身份证号", max_length=18, validators=[validate_id_number])
    relationship = models.CharField("与学生关系", max_length=16, choices=Relationship.choices)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_phone])

    class Meta:
        verbose_name = verbose_name_plural = "共同借款人"
        constraints = [
            models.UniqueConstraint(fields=["student", "id_number"], name="unique_co_borrower_per_student"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.student_id and self.id_number and self.id_number == self.student.id_number:
            raise ValidationError({"id_number": "共同借款人不能是学生本人"})


class AuditEvent(models.Model):
    """One row per action: who, what object, old → new, reason, when, from where.

    Append-only: `save()` refuses updates, `delete()` refuses; on PostgreSQL triggers refuse UPDATE and
    DELETE, and the application's database role may only INSERT and SELECT. A row is written inside the
    business transaction without any chain lock; after commit the sealer (`loanportal.audit.audit_seal`)
    gives it its place in the keyed chain (`AuditSeal`), checked by `manage.py audit_verify`.
    """

    created_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        User, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    actor_organisation = models.ForeignKey(
        Organisation,
        verbose_name="操作人机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64)
    object_pk = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="归属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    university = models.ForeignKey(
        Organisation,
        verbose_name="相关高校",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    old = models.JSONField("变更前", null=True, blank=True)
    new = models.JSONField("变更后", null=True, blank=True)
    reason = models.TextField("原因", blank=True)
    ip_address = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-pk"]
        indexes = [models.Index(fields=["object_type", "object_pk"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("审计日志不能删除")


class AuditSeal(models.Model):
    """封存: an audit row's place in the keyed chain, given after its transaction committed.

    `seq` counts 1, 2, 3 … in sealing order (commit order); `row_hash` is an HMAC (key `AUDIT_HMAC_KEY`,
    never in the database) over the sequence, the previous hash, the time of sealing and the row's stored
    values. Append-only like the rows it seals.
    """

    seq = models.BigIntegerField("序号", primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    sealed_at = models.DateTimeField("封存时间")
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志封存"
        ordering = ["seq"]

    def __str__(self):
        return f"#{self.seq} {self.row_hash[:12]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("审计日志封存只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("审计日志封存不能删除")


class EmailStatus(models.TextChoices):
    """A notification's e-mail in the outbox (loanportal.services.notification_send)."""

    NONE = "", "不发邮件"
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Notification(models.Model):
    """站内通知 (the bell); `dedupe_key` makes reminders idempotent per recipient.

    Also the e-mail outbox: the e-mail to send is recorded on the row, in the same transaction as the
    change it reports (email_status pending); a Celery job sends it after commit and marks it sent under a
    row lock, and a periodic sweep sends what is still pending (the broker was down, SMTP failed)."""

    recipient = models.ForeignKey(
        User, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    category = models.CharField("类别", max_length=32, default="info")
    level = models.CharField("级别", max_length=16, default="info")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    email_to = models.EmailField("邮件地址", blank=True)
    email_status = models.CharField(
        "邮件状态", max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )
    email_attempts = models.PositiveSmallIntegerField("邮件发送次数", default=0)
    email_sent_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    email_error = models.CharField("邮件发送错误", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内通知"
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="unique_notification_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_status="pending"),
                name="notification_email_outbox",
            ),
        ]

    def __str__(self):
        return self.title


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`). Only the SHA-256 of the key is stored; the key is
    shown once, when issued. A token stops working when it expires, is revoked, its user is deactivated
    or locked out, or the user's password changes (`auth_hash` no longer matches, as for sessions)."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField("摘要", max_length=64, unique=True, editable=False)
    prefix = models.CharField("前缀", max_length=8, editable=False)
    auth_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", db_index=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        verbose_name="吊销人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_ip = models.GenericIPAddressField("签发地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.prefix}… ({self.user.username})"


from .exports.models import ExportRequest, ExportStatus  # noqa: E402,F401  (导出申请; lives with the export service)
from .imports.models import ImportJob, ImportJobStatus  # noqa: E402,F401  (导入任务; lives with the import path)
