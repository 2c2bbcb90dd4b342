"""Relief cases (还款救助案件, Gansu relief measures 第十二–二十七条; docs/relief-cases.md).

State names live in states.py; the category and document rules in categories.py.
"""

from django.conf import settings
from django.db import models

from loanportal.models import Organisation, Student
from loanportal.roles import OrgKind

from .. import states
from .ledger import LoanContract


class ReliefCategory(models.TextChoices):
    """救助类别 (第十二–十六条). 5a/5b are the two halves of category 5 (第十六条（一）/（二）)."""

    DEATH_MISSING = "1", "第一类：死亡、失踪"
    INCAPACITY = "2", "第二类：丧失劳动能力、无民事行为能力"
    DISASTER = "3", "第三类：遭遇重大自然灾害"
    ILLNESS = "4", "第四类：患有重大疾病"
    POOR_REGISTERED = "5a", "第五类（一）：建档立卡贫困户，未就业或收入低于贫困线"
    LOW_INCOME = "5b", "第五类（二）：非建档立卡，还本宽限期后收入低于贫困线"


class ApplicantKind(models.TextChoices):
    """申请人 (第十九条): the borrower, a co-borrower (共同借款人), or an agent with an authorisation."""

    BORROWER = "borrower", "借款学生本人"
    CO_BORROWER = "co_borrower", "共同借款人"
    AGENT = "agent", "代理人（持授权书）"


class ReliefCaseStatus(models.TextChoices):
    ENTERED = states.ENTERED, states.LABELS[states.ENTERED]
    MATERIALS_INCOMPLETE = states.MATERIALS_INCOMPLETE, states.LABELS[states.MATERIALS_INCOMPLETE]
    COUNTY_REVIEW = states.COUNTY_REVIEW, states.LABELS[states.COUNTY_REVIEW]
    COUNTY_PASSED = states.COUNTY_PASSED, states.LABELS[states.COUNTY_PASSED]
    COUNTY_REJECTED = states.COUNTY_REJECTED, states.LABELS[states.COUNTY_REJECTED]
    COUNTY_SUBMITTED = states.COUNTY_SUBMITTED, states.LABELS[states.COUNTY_SUBMITTED]
    PROVINCE_PASSED = states.PROVINCE_PASSED, states.LABELS[states.PROVINCE_PASSED]
    PROVINCE_REJECTED = states.PROVINCE_REJECTED, states.LABELS[states.PROVINCE_REJECTED]
    RETURNED = states.RETURNED, states.LABELS[states.RETURNED]
    HANDED_OVER = states.HANDED_OVER, states.LABELS[states.HANDED_OVER]
    RELIEVED = states.RELIEVED, states.LABELS[states.RELIEVED]


class ReliefCountySummary(models.Model):
    """县级汇总表 (附件4, 第二十条（四）): a county bundles its passed cases and submits them to the province."""

    county = models.ForeignKey(
        Organisation,
        verbose_name="县级资助中心",
        on_delete=models.PROTECT,
        related_name="relief_summaries",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveSmallIntegerField("批次号", default=1)
    status = models.CharField(
        "状态",
        max_length=16,
        choices=[(states.SUMMARY_DRAFT, "未上报"), (states.SUMMARY_SUBMITTED, "已上报省级")],
        default=states.SUMMARY_DRAFT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填表人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField("上报时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "县级还款救助申请汇总表"
        ordering = ["-year", "county", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "number"], name="relief_summary_unique_number")
        ]

    def __str__(self):
        return f"{self.county.name}{self.year}年第{self.number}批还款救助申请汇总表"


class ReliefBatch(models.Model):
    """移交批次 = 省级汇总表 (附件5, 第二十一条（一）): the province's passed cases handed to the bank.

    `handed_over_on` is the day the bank received the materials (银行收到救助材料之日); the amount cutoff
    of every case in the batch is `rules.amount_cutoff_date(handed_over_on)` (第二十一条（二）)."""

    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveSmallIntegerField("批次号", default=1)
    status = models.CharField(
        "状态",
        max_length=16,
        choices=[(states.BATCH_DRAFT, "编制中"), (states.BATCH_HANDED_OVER, "已移交银行")],
        default=states.BATCH_DRAFT,
        db_index=True,
    )
    handed_over_on = models.DateField("银行收到材料日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="编制人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="移交人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    handed_over_at = models.DateTimeField("移交登记时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助移交批次（附件5）"
        ordering = ["-year", "-number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="relief_batch_unique_number")]

    def __str__(self):
        return f"{self.year}年第{self.number}批还款救助移交"

    @property
    def cutoff_date(self):
        """救助金额计算截止日 of the batch (第二十一条（二）), None before the hand-over."""
        from ..rules import amount_cutoff_date

        return amount_cutoff_date(self.handed_over_on) if self.handed_over_on else None


class ReliefCase(models.Model):
    """还款救助案件: one application for one borrower (第十九条), its county initial review (第二十条), the
    province's re-review (第二十一条（一）) and the follow-up (第二十三–二十四条). Status in states.py."""

    case_no = models.CharField("救助编号", max_length=32, unique=True)
    borrower = models.ForeignKey(
        Student, verbose_name="借款学生", on_delete=models.PROTECT, related_name="relief_cases"
    )
    county = models.ForeignKey(
        Organisation,
        verbose_name="县级资助中心",
        on_delete=models.PROTECT,
        related_name="relief_cases",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    year = models.PositiveSmallIntegerField("申请年度")
    category = models.CharField("救助类别", max_length=2, choices=ReliefCategory.choices, db_index=True)
    category_detail = models.CharField(
        "类别细项",
        max_length=16,
        blank=True,
        help_text="第二类：labour（丧失劳动能力）或 civil（无民事行为能力）",
    )
    facts = models.TextField("救助事由", blank=True)
    event_date = models.DateField("事由发生日期", null=True, blank=True, help_text="第三类为受灾日期")
    grace_period_ends_on = models.DateField(
        "还本宽限期截止日", null=True, blank=True, help_text="第五类（二）需在宽限期结束后申请"
    )
    applicant_kind = models.CharField("申请人类型", max_length=16, choices=ApplicantKind.choices)
    applicant_name = models.CharField("申请人姓名", max_length=50)
    applicant_id_number = models.CharField("申请人身份证号", max_length=18)
    applicant_phone = models.CharField("申请人联系电话", max_length=20, blank=True)
    applicant_relationship = models.CharField("与借款学生关系", max_length=20, blank=True)
    contracts = models.ManyToManyField(LoanContract, verbose_name="涉及借款合同", related_name="relief_cases")
    county_found = models.BooleanField(
        "基层机构主动发现", default=False, help_text="第十九条（三）：县级资助中心主动联系并协助申请"
    )
    status = models.CharField(
        "状态", max_length=24, choices=ReliefCaseStatus.choices, default=states.ENTERED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    missing_documents = models.JSONField("待补正材料", default=list, blank=True)
    bank_payment_told = models.BooleanField(
        "已告知救助资金直接付给银行", default=False, help_text="第二十条（一）"
    )
    # county initial review (第二十条)
    county_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="县级审核人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    county_decided_at = models.DateTimeField("县级审核时间", null=True, blank=True)
    county_reason = models.TextField("县级审核意见", blank=True)
    county_summary = models.ForeignKey(
        ReliefCountySummary,
        verbose_name="县级汇总表",
        on_delete=models.SET_NULL,
        related_name="cases",
        null=True,
        blank=True,
    )
    # provincial re-review (第二十一条（一）)
    province_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="省级复审人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    province_decided_at = models.DateTimeField("省级复审时间", null=True, blank=True)
    province_reason = models.TextField("省级复审意见/退回原因", blank=True)
    return_count = models.PositiveSmallIntegerField("退回次数", default=0)
    batch = models.ForeignKey(
        ReliefBatch,
        verbose_name="移交批次",
        on_delete=models.PROTECT,
        related_name="cases",
        null=True,
        blank=True,
    )
    # credit record follow-up (第二十四条): clear (1–4) or annotate (5), until the bank confirms
    credit_confirmed_at = models.DateTimeField("银行确认征信处理时间", null=True, blank=True)
    credit_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="征信处理确认人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    credit_note = models.CharField("征信处理说明", max_length=200, blank=True)
    # fraud (失信惩戒, 第二十三条)
    fraud_found = models.BooleanField("查实虚构/伪造", default=False, db_index=True)
    fraud_finding = models.TextField("失信查实情况", blank=True)
    fraud_found_at = models.DateTimeField("查实时间", null=True, blank=True)
    fraud_found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="查实登记人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    employer_letter_on = models.DateField("函告申请人所在单位日期", null=True, blank=True)
    court_referral_on = models.DateField("移交司法机关日期", null=True, blank=True)
    large_amount = models.BooleanField("申请金额较大", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助案件"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["county", "status"], name="relief_case_county_status")]

    def __str__(self):
        return f"{self.case_no} {self.borrower.name}"


class ReliefDocument(models.Model):
    """救助要件 upload (第十二–十六条, 第十九条（四）): PDF/JPEG/PNG checked by content, stored under
    settings.RELIEF_DOCUMENT_ROOT (outside the web root), served only in scope, each view audited."""

    case = models.ForeignKey(
        ReliefCase, verbose_name="救助案件", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField("材料类型", max_length=32)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField("存储名", max_length=100, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助材料"
        ordering = ["case", "kind", "-uploaded_at"]

    def __str__(self):
        return f"{self.case_id}:{self.kind}:{self.original_name}"


class VerificationMethod(models.TextChoices):
    FIELD_VISIT = "field_visit", "实地走访"
    HOUSEHOLD_SURVEY = "household_survey", "入户调查"
    PHONE = "phone", "电话访问"


class ReliefVerification(models.Model):
    """初审核实记录 (第二十条（一）（三）): how, by whom, when, findings; the bank-payment notice was told."""

    case = models.ForeignKey(
        ReliefCase, verbose_name="救助案件", on_delete=models.CASCADE, related_name="verifications"
    )
    method = models.CharField("核实方式", max_length=20, choices=VerificationMethod.choices)
    checked_by = models.CharField("核实人", max_length=50)
    checked_on = models.DateField("核实日期")
    findings = models.TextField("核实情况")
    bank_payment_told = models.BooleanField("已告知救助资金直接支付给国开行、不发放给本人", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助初审核实记录"
        ordering = ["case", "-checked_on", "-pk"]

    def __str__(self):
        return f"{self.get_method_display()} {self.checked_on}"


class ReliefPublicNotice(models.Model):
    """公示 (附件3, 第二十条（三）): optional; at least 5 working days; objections resolved before passing."""

    case = models.OneToOneField(
        ReliefCase, verbose_name="救助案件", on_delete=models.CASCADE, related_name="public_notice"
    )
    starts_on = models.DateField("公示开始日期")
    ends_on = models.DateField("公示结束日期")
    place = models.CharField("公示范围/地点", max_length=100)
    content = models.TextField("公示内容")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助公示"

    def __str__(self):
        return f"公示 {self.starts_on}—{self.ends_on}"


class ReliefObjection(models.Model):
    """公示期异议: logged, and resolved before the case may pass."""

    notice = models.ForeignKey(
        ReliefPublicNotice, verbose_name="公示", on_delete=models.CASCADE, related_name="objections"
    )
    received_on = models.DateField("收到日期")
    content = models.TextField("异议内容")
    resolution = models.TextField("处理结果", blank=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"
        ordering = ["notice", "received_on", "pk"]

    def __str__(self):
        return f"异议 {self.received_on}"
