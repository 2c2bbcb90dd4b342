from django.conf import settings
from django.db import models

from loanportal.models import Organisation


class FeeCertificate(models.Model):
    """收费证明 (notice 八: 11/20–11/30 高校查看学费到账情况并开具收费证明): issued by the student's university
    once the bank's disbursement has arrived. Numbered per university and loan year (a database constraint
    as well as the service's locked sequence); one per application. The amounts are a copy of what the
    bank reported at the moment of issue, so a later correction of the application cannot change a
    printed certificate."""

    application = models.OneToOneField(
        "applications.Application",
        verbose_name="贷款申请",
        on_delete=models.PROTECT,
        related_name="fee_certificate",
    )
    university = models.ForeignKey(
        Organisation, verbose_name="开具高校", on_delete=models.PROTECT, related_name="fee_certificates"
    )
    year = models.PositiveSmallIntegerField("贷款年度")
    sequence = models.PositiveIntegerField("顺序号")
    number = models.CharField("证明编号", max_length=32, unique=True)
    tuition_amount = models.PositiveIntegerField("学费贷款金额（元）")
    accommodation_amount = models.PositiveIntegerField("住宿费贷款金额（元）")
    disbursed_on = models.DateField("放款日期")
    disbursed_to_university = models.PositiveIntegerField("划入高校金额（元）")
    disbursed_to_student = models.PositiveIntegerField("划入学生金额（元）", default=0)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="开具人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("开具时间")

    class Meta:
        verbose_name = verbose_name_plural = "收费证明"
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["university", "year", "sequence"],
                name="fee_certificate_number_unique_per_university_year",
                violation_error_message="该高校本年度已有此编号的收费证明",
            ),
        ]

    def __str__(self):
        return f"收费证明 {self.number}"

    @property
    def total_amount(self) -> int:
        return self.tuition_amount + self.accommodation_amount
