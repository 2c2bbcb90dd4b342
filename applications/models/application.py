from django.conf import settings
from django.db import models

from loanportal.models import CoBorrower, Organisation, Student, StudyLevel

from .. import states


class ApplicationStatus(models.TextChoices):
    """Application states (DESIGN.md): draft → accepted → contract_signed → receipt_entered →
    receipt_confirmed → bank_approved → disbursed → fee_certified → archived; side states returned,
    rejected, withdrawn, abandoned (receipt not entered by the deadline: 视为放弃, notice 八) and
    bank_declined (the bank reviewed and did not approve, notice 八). Maps: applications.states."""

    DRAFT = states.DRAFT, states.APPLICATION_LABELS[states.DRAFT]
    ACCEPTED = states.ACCEPTED, states.APPLICATION_LABELS[states.ACCEPTED]
    CONTRACT_SIGNED = states.CONTRACT_SIGNED, states.APPLICATION_LABELS[states.CONTRACT_SIGNED]
    RECEIPT_ENTERED = states.RECEIPT_ENTERED, states.APPLICATION_LABELS[states.RECEIPT_ENTERED]
    RECEIPT_CONFIRMED = states.RECEIPT_CONFIRMED, states.APPLICATION_LABELS[states.RECEIPT_CONFIRMED]
    BANK_APPROVED = states.BANK_APPROVED, states.APPLICATION_LABELS[states.BANK_APPROVED]
    BANK_DECLINED = states.BANK_DECLINED, states.APPLICATION_LABELS[states.BANK_DECLINED]
    DISBURSED = states.DISBURSED, states.APPLICATION_LABELS[states.DISBURSED]
    FEE_CERTIFIED = states.FEE_CERTIFIED, states.APPLICATION_LABELS[states.FEE_CERTIFIED]
    ARCHIVED = states.ARCHIVED, states.APPLICATION_LABELS[states.ARCHIVED]
    RETURNED = states.RETURNED, states.APPLICATION_LABELS[states.RETURNED]
    REJECTED = states.REJECTED, states.APPLICATION_LABELS[states.REJECTED]
    WITHDRAWN = states.WITHDRAWN, states.APPLICATION_LABELS[states.WITHDRAWN]
    ABANDONED = states.ABANDONED, states.APPLICATION_LABELS[states.ABANDONED]


# An application in one of these states no longer blocks a new one for the same student and year.
CLOSED_STATES = tuple(sorted(states.APPLICATION_CLOSED))


class Application(models.Model):
    """贷款申请 (首贷): created at county intake. One live application per student per loan year in the
    whole province (a database constraint as well as a service check)."""

    year = models.PositiveSmallIntegerField("贷款年度")
    student = models.ForeignKey(
        Student, verbose_name="借款学生", on_delete=models.PROTECT, related_name="applications"
    )
    county = models.ForeignKey(
        Organisation, verbose_name="受理县", on_delete=models.PROTECT, related_name="applications"
    )
    co_borrower = models.ForeignKey(
        CoBorrower,
        verbose_name="共同借款人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pre_application = models.ForeignKey(
        "applications.PreApplication",
        verbose_name="预申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    appointment = models.ForeignKey(
        "applications.Appointment",
        verbose_name="预约",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
    )
    status = models.CharField(
        "状态",
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    # Study data at the time of application (the student register can change later).
    university = models.ForeignKey(
        Organisation,
        verbose_name="就读高校",
        on_delete=models.PROTECT,
        related_name="university_applications",
    )
    level = models.CharField("学历层次", max_length=16, choices=StudyLevel.choices)
    major = models.CharField("专业", max_length=100)
    enrolment_year = models.PositiveSmallIntegerField("入学年份")
    study_years = models.PositiveSmallIntegerField("学制（年）")
    tuition_amount = models.PositiveIntegerField("学费贷款金额（元）", default=0)
    accommodation_amount = models.PositiveIntegerField("住宿费贷款金额（元）", default=0)
    # Eligibility (notice 三(六), 三(八)): pre-applied, or a written commitment shown and accepted.
    commitment_accepted = models.BooleanField("已签书面承诺", default=False)
    commitment_accepted_at = models.DateTimeField("承诺时间", null=True, blank=True)
    commitment_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承诺记录人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contract_number = models.CharField("合同号", max_length=32, null=True, blank=True, unique=True)
    receipt_code = models.CharField("回执码", max_length=16, null=True, blank=True, unique=True)
    contract_signed_at = models.DateTimeField("签约时间", null=True, blank=True)
    bank_decline_reason = models.CharField("银行未通过原因", max_length=500, blank=True)
    # The loan year's second half (notice 八): who entered and confirmed the receipt and when, the bank's
    # approval and its disbursement (amount to the university's fee account, remainder to the student).
    receipt_entered_at = models.DateTimeField("回执录入时间", null=True, blank=True)
    receipt_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回执录入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt_confirmed_at = models.DateTimeField("回执确认时间", null=True, blank=True)
    receipt_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回执确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bank_approved_at = models.DateTimeField("银行审批时间", null=True, blank=True)
    disbursed_on = models.DateField("放款日期", null=True, blank=True)
    disbursed_to_university = models.PositiveIntegerField("划入高校金额（元）", null=True, blank=True)
    disbursed_to_student = models.PositiveIntegerField("划入学生金额（元）", null=True, blank=True)
    archive_box = models.ForeignKey(
        "applications.ArchiveBox",
        verbose_name="档案盒",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "贷款申请"
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "year"],
                condition=~models.Q(status__in=CLOSED_STATES),
                name="one_live_application_per_student_year",
                violation_error_message="该学生本年度已有贷款申请",
            ),
            models.CheckConstraint(
                condition=models.Q(tuition_amount__gte=0) & models.Q(accommodation_amount__gte=0),
                name="application_amounts_not_negative",
            ),
        ]
        indexes = [
            # The intake list's order (-created_at, -pk), walked backwards with the pk as the tie-breaker: rows
            # created in the same instant (a bulk load) never make PostgreSQL sort a county's list.
            models.Index(fields=["county", "status", "-created_at", "-id"], name="app_county_status_recent"),
            models.Index(fields=["county", "-created_at", "-id"], name="app_county_recent"),
            models.Index(fields=["university", "year", "status"], name="app_university_year_status"),
            # The dashboards' figures of a loan year (a county's, or per county for a city or the province),
            # answered from the index alone (index-only scans: count "status", not "pk").
            models.Index(
                fields=["year", "county", "status"],
                include=["accepted_at", "contract_signed_at", "tuition_amount", "accommodation_amount"],
                name="app_year_county_status",
            ),
        ]

    def __str__(self):
        return f"{self.student.name} {self.year}年度申请"

    @property
    def total_amount(self) -> int:
        return (self.tuition_amount or 0) + (self.accommodation_amount or 0)


class CorrectionStatus(models.TextChoices):
    PENDING = states.CORRECTION_PENDING, "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class ApplicationCorrection(models.Model):
    """A correction to a signed application: entered by a clerk, approved by a county manager who did not
    enter it (maker–checker)."""

    application = models.ForeignKey(
        Application, verbose_name="贷款申请", on_delete=models.CASCADE, related_name="corrections"
    )
    changes = models.JSONField("更正内容")
    reason = models.TextField("更正原因")
    status = models.CharField(
        "状态", max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请更正"
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(status=states.CORRECTION_PENDING),
                name="one_pending_correction_per_application",
                violation_error_message="该申请已有待审批的更正申请",
            ),
        ]

    def __str__(self):
        return f"{self.application} 更正"
