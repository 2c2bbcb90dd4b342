"""The loan year's close (notice 八): the bank's status imports and the county's archive boxes."""

from django.conf import settings
from django.db import models

from loanportal.models import Organisation


class BankStatusImport(models.Model):
    """One bank status spreadsheet (银行审批放款情况) read through the one import path: a succeeded file
    moved its contracts; a refused one keeps its row-level error report and changed nothing."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="导入机构", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField("文件名", max_length=200)
    row_count = models.PositiveIntegerField("行数", default=0)
    succeeded = models.BooleanField("导入成功", default=False)
    approved = models.PositiveIntegerField("审批通过", default=0)
    declined = models.PositiveIntegerField("审批不通过", default=0)
    disbursed = models.PositiveIntegerField("已放款", default=0)
    unchanged = models.PositiveIntegerField("无变化", default=0)
    errors = models.JSONField("错误报告", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "银行审批放款导入"
        ordering = ["-pk"]

    def __str__(self):
        return f"银行审批放款导入 {self.pk} {self.file_name}"


class ArchiveBox(models.Model):
    """档案盒: a county's box of one loan year's credit materials (信贷材料归档, notice 八: by next 3/31).
    Applications are assigned to a box as they are archived."""

    county = models.ForeignKey(
        Organisation, verbose_name="县级机构", on_delete=models.PROTECT, related_name="archive_boxes"
    )
    year = models.PositiveSmallIntegerField("贷款年度")
    number = models.CharField("盒号", max_length=40)
    archived_on = models.DateField("归档日期")
    contents = models.CharField("盒内材料", max_length=500)
    location = models.CharField("存放位置", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "档案盒"
        ordering = ["-year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "number"],
                name="archive_box_number_unique_per_county_year",
                violation_error_message="本县该年度已有相同盒号的档案盒",
            )
        ]

    def __str__(self):
        return f"{self.year}年度 第{self.number}号档案盒"
