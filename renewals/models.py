"""Renewals app models. For now only the fee standard (收费标准) the county intake form reads."""

from django.core.exceptions import ValidationError
from django.db import models

from loanportal.models import Organisation, StudyLevel
from loanportal.roles import OrgKind


class FeeStandard(models.Model):
    """收费标准: a university's tuition and accommodation per major, level and year (notice 八: entered and
    the fee account confirmed by 7/15). A later issue builds the university's pages for it."""

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
    confirmed_account = models.BooleanField("收费账户已核对", default=False)
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
