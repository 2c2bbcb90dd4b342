"""Records kept after and around relief cases: the blacklist (失信名单, 第二十三条), archive boxes and items
(第二十五、二十六条), the county's information officer (第二十七条)."""

from django.conf import settings
from django.db import models

from loanportal.models import Organisation
from loanportal.roles import OrgKind

from .cases import ReliefCase


class ReliefBlacklistEntry(models.Model):
    """失信名单 (第二十三条): an applicant found to have invented or forged a case; counties see it at
    intake and relief (matched by ID number)."""

    id_number = models.CharField("身份证号", max_length=18, db_index=True)
    name = models.CharField("姓名", max_length=50)
    case = models.ForeignKey(
        ReliefCase, verbose_name="查实案件", on_delete=models.PROTECT, related_name="blacklist_entries"
    )
    reason = models.TextField("事由")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助失信名单"
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class ReliefArchiveBox(models.Model):
    """还款救助档案盒 (第二十五条（一）): own boxes, own numbering (HJ-…), apart from other credit files."""

    holder = models.ForeignKey(
        Organisation, verbose_name="存档机构", on_delete=models.PROTECT, related_name="relief_archive_boxes"
    )
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("盒号")
    title = models.CharField("盒名", max_length=100, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助档案盒"
        ordering = ["holder", "-year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "year", "number"], name="relief_archive_box_unique")
        ]

    def __str__(self):
        return f"还款救助档案 {self.year}-{self.number:03d}"


class ReliefArchiveItem(models.Model):
    """One archived attachment (附件1–7 or applicant's materials) of a case in a box (第二十五–二十六条)."""

    box = models.ForeignKey(
        ReliefArchiveBox, verbose_name="档案盒", on_delete=models.CASCADE, related_name="items"
    )
    case = models.ForeignKey(
        ReliefCase,
        verbose_name="救助案件",
        on_delete=models.PROTECT,
        related_name="archive_items",
        null=True,
        blank=True,
    )
    attachment = models.CharField("归档材料", max_length=16)
    sequence = models.PositiveIntegerField("卷内序号")
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="归档人", on_delete=models.PROTECT, related_name="+"
    )
    archived_at = models.DateTimeField("归档时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助归档材料"
        ordering = ["box", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["box", "sequence"], name="relief_archive_item_sequence"),
        ]

    def __str__(self):
        return f"{self.box} #{self.sequence} {self.attachment}"

    @property
    def attachment_label(self) -> str:
        from ..categories import ATTACHMENTS

        return ATTACHMENTS.get(self.attachment, self.attachment)


class ReliefInformationOfficer(models.Model):
    """信息管理责任人 (第二十七条): each county names the person responsible for relief information."""

    county = models.OneToOneField(
        Organisation,
        verbose_name="县级资助中心",
        on_delete=models.CASCADE,
        related_name="relief_information_officer",
        limit_choices_to={"kind": OrgKind.COUNTY},
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT, related_name="+"
    )
    named_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="指定人", on_delete=models.PROTECT, related_name="+"
    )
    named_at = models.DateTimeField("指定时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "还款救助信息管理责任人"

    def __str__(self):
        return f"{self.county} {self.user}"
