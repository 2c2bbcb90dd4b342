"""An import job (导入任务): a large uploaded list imported in the background, with its progress."""

from django.conf import settings
from django.db import models


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "导入成功"
    REJECTED = "rejected", "未导入（有错误）"
    FAILED = "failed", "导入失败"


class ImportJob(models.Model):
    """One upload above IMPORT_JOB_MIN_BYTES: saved (IMPORT_JOB_ROOT) and recorded first, run by a Celery job
    dispatched on commit (the sweep re-dispatches it if the broker was down or the worker died). The import
    itself is unchanged: all-or-nothing, its batch holds the row-level error report."""

    kind = models.CharField("导入内容", max_length=64)
    status = models.CharField(
        "状态", max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "loanportal.Organisation", verbose_name="机构", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    file_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=200, blank=True)
    file_path = models.CharField("文件", max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField("文件大小", default=0)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    batch_id = models.PositiveIntegerField("导入批次", null=True, blank=True)
    message = models.CharField("结果", max_length=300, blank=True)
    # a refused file's first errors, for imports without a batch of their own (fee standards, receipts)
    errors = models.JSONField("错误报告", default=list, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        app_label = "loanportal"
        verbose_name = verbose_name_plural = "导入任务"
        ordering = ["-pk"]

    def __str__(self):
        return f"导入任务 {self.pk} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.REJECTED, ImportJobStatus.FAILED)

    @property
    def progress(self) -> int:
        if self.finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.rows_done * 100 // self.total_rows)
