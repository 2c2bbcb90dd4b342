"""The ledger import service (贷款台账导入): check the file, stream its rows in chunks through the ledger's rules
into the staging table, check the file as a whole in SQL, then write all of it in one transaction or none.

One path for every size: the page's small file, the API and the province's 1.5 million contracts in a
background job (kind "ledger") differ only in whether a job and a progress callback are passed.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from loanportal import imports
from loanportal.audit import audit_record
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.imports import checks as imports_checks
from loanportal.imports.csvfile import SAVE_AS_CSV, check_csv_upload, is_csv_name, read_csv_rows
from loanportal.imports.models import ImportJob
from loanportal.roles import Role
from loanportal.rules import mask_text

from ..models import LedgerImport
from . import staging
from .rows import IMPORT_TEMPLATE, ledger_row_stage

ROLES = frozenset({Role.BANK_OFFICER})
EMPTY = "台账中没有合同数据（第2行起为数据行）"
ONLY = "贷款台账只接受CSV（.csv，UTF-8或GB18030/GBK编码）或Excel工作簿（.xlsx，可分多个工作表）"
_ORDER = {f.key: index for index, f in enumerate(IMPORT_TEMPLATE.fields)}
_HEADERS = {f.key: f.header for f in IMPORT_TEMPLATE.fields}


class LedgerImportRejected(DomainError):
    """The ledger has row errors: nothing imported; `batch` holds the report (its first errors)."""

    def __init__(self, *, batch: LedgerImport, errors: list[dict], total: int | None = None):
        total = len(errors) if total is None else total
        shown = f"（错误报告列出前{len(errors)}处）" if total > len(errors) else ""
        super().__init__(f"台账中有{total}处错误，未导入任何数据{shown}；请按错误报告修改后重新导入")
        self.batch = batch
        self.errors = errors
        self.total = total


def _require_bank(actor) -> None:
    if getattr(actor, "role", None) not in ROLES:
        raise PermissionDeniedError("只有银行经办人员可以导入贷款台账")


@dataclass
class _Report:
    """The error report, bounded: the first `limit` errors in file order are kept, the rest only counted."""

    limit: int
    sheets: list = field(default_factory=list)  # (title shown, {field key: column letter})
    items: list = field(default_factory=list)  # (seq, column order, error dict)
    total: int = 0
    kept_from_rows: int = 0

    def sheet_add(self, title: str, positions: dict) -> None:
        letters = {key: imports.column_letter(index + 1) for key, index in positions.items()}
        self.sheets.append((title, letters))

    def add(self, seq: int, sheet: int, line: int, key: str | None, message: str, name: str) -> None:
        title, letters = self.sheets[sheet]
        error = {
            "row": line,
            "column": letters.get(key, "") if key else "",
            "header": _HEADERS.get(key, "") if key else "",
            "message": mask_text(message),  # a quoted cell may hold an ID number or a phone
            "name": mask_text(name),
        }
        if title:
            error["sheet"] = mask_text(title)  # a tab's name is typed by the user too
        self.items.append((seq, _ORDER.get(key, -1), error))

    def row_errors(self, seq: int, sheet: int, line: int, errors: list, name: str) -> None:
        """Errors found while reading (in file order: once `limit` are kept, later ones are only counted)."""
        self.total += len(errors)
        for key, message in errors:
            if self.kept_from_rows < self.limit:
                self.kept_from_rows += 1
                self.add(seq, sheet, line, key, message, name)

    def where(self, sheet: int, line: int, other_sheet: int) -> str:
        title = self.sheets[sheet][0]
        return f"工作表{title}第{line}行" if title and sheet != other_sheet else f"第{line}行"

    def errors(self) -> list[dict]:
        self.items.sort(key=lambda item: (item[0], item[1]))
        return [error for _, _, error in self.items[: self.limit]]


def ledger_file_precheck(file) -> None:
    """The checks that read at most 8 bytes (name, content type, declared size, magic bytes): made before a
    large upload becomes a job, so a file the job would refuse (a .xls, .xlsm, renamed or oversized file) is
    refused at once."""
    name = imports_checks.file_name_of(file, default="台账.xlsx")
    if not name.lower().endswith((".csv", ".xlsx", ".xls", ".xlsm", ".xltm", ".xlsb", ".xlam")):
        raise DomainError(ONLY, field="file")
    limit = settings.LEDGER_UPLOAD_MAX_BYTES
    size = getattr(file, "size", None) or 0
    if size > limit:
        raise DomainError(
            f"文件过大（{size / 1024 / 1024:.1f} MB），台账上传上限为 {limit / 1024 / 1024:.1f} MB",
            field="file",
        )
    if not is_csv_name(name):
        imports_checks.precheck_upload(file, name=name, max_bytes=limit)
        return
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(len(imports_checks.OLE_MAGIC))
    if hasattr(file, "seek"):
        file.seek(0)
    if head.startswith((imports_checks.ZIP_MAGIC, imports_checks.OLE_MAGIC)):
        raise DomainError("文件是Excel工作簿而不是CSV；请把扩展名改回 .xlsx，或" + SAVE_AS_CSV, field="file")


def _sheets(file):
    """The upload's sheets (a CSV is one), checked before any row is parsed; (sheets, CSV size or None)."""
    name = imports_checks.file_name_of(file, default="台账.xlsx")
    limit = settings.LEDGER_UPLOAD_MAX_BYTES
    if is_csv_name(name):
        checked = check_csv_upload(file, max_bytes=limit, name=name)
        return iter([read_csv_rows(checked, IMPORT_TEMPLATE)]), checked.size
    if not name.lower().endswith((".xlsx", ".xls", ".xlsm", ".xltm", ".xlsb", ".xlam")):
        raise DomainError(
            "贷款台账只接受CSV（.csv，UTF-8或GB18030/GBK编码）或Excel工作簿（.xlsx，可分多个工作表）",
            field="file",
        )
    checked = imports.check_upload(file, name=name, max_bytes=limit)
    return imports.read_sheets(checked, IMPORT_TEMPLATE), None


def _stage(file, report: _Report, progress) -> int:
    """Read every row, parse it with the ledger's rules, stage the good ones chunk by chunk; → rows read."""
    sheets, size = _sheets(file)
    chunk_rows = max(int(settings.LEDGER_IMPORT_CHUNK_ROWS), 1)
    chunk: list[tuple] = []
    seq = 0
    opened_total = 0
    csv_sheet = None
    for sheet_index, sheet in enumerate(sheets):
        csv_sheet = sheet if size is not None else None
        report.sheet_add("" if size is not None else sheet.title, sheet.positions)
        opened_total += sheet.total
        for row in sheet.rows:
            seq += 1
            staged, errors, label = ledger_row_stage(row.cells)
            if errors:
                report.row_errors(seq, sheet_index, row.number, errors, label)
            elif staged is not None:
                chunk.append((seq, sheet_index, row.number, *staged))
            if seq % chunk_rows == 0:
                staging.staging_add(chunk)
                chunk = []
                if progress is not None:
                    if csv_sheet is not None:  # rows so far scaled by the bytes read: the estimate improves
                        total = seq * size // max(csv_sheet.position(), 1)
                    else:
                        total = opened_total
                    progress(seq, max(total, seq + 1))
    staging.staging_add(chunk)
    return seq


def _check_file(report: _Report) -> None:
    """The file-wide rules, as SQL on the staged rows (rows with their own errors are not staged)."""
    limit = report.limit
    found = staging.duplicates(limit)
    for seq, sheet, line, contract_no, first_sheet, first_line, _count_all in found:
        where = report.where(first_sheet, first_line, sheet)
        report.add(
            seq, sheet, line, "contract_no", f"合同号与{where}重复，一个合同一次只导入一份台账", contract_no
        )
    report.total += _count(found)
    found = staging.other_borrower(limit)
    for seq, sheet, line, contract_no, _count_all in found:
        report.add(seq, sheet, line, "id_number", "与该合同已登记的借款人身份证号不符", contract_no)
    report.total += _count(found)
    found = staging.new_contract_gaps(limit)
    messages = (
        ("id_number", "新合同的借款人尚未在系统中登记（按身份证号未找到学生）"),
        ("county", "新合同需填写经办县的6位县区代码"),
        ("principal", "新合同需填写合同金额（元，最多两位小数）"),
        ("school_year", "新合同需填写学年开始年份（如 2021）"),
    )
    for seq, sheet, line, contract_no, *flags, _count_all in found:
        for (key, message), flag in zip(messages, flags, strict=True):
            if flag:
                report.add(seq, sheet, line, key, message, contract_no)
    report.total += _count(found)
    found = staging.second_contract_in_year(limit)
    for seq, sheet, line, contract_no, _count_all in found:
        report.add(
            seq,
            sheet,
            line,
            "school_year",
            "该借款人该学年已有借款合同（每名学生每学年一个合同）",
            contract_no,
        )
    report.total += _count(found)


def _count(found: list[tuple]) -> int:
    return int(found[0][-1]) if found else 0


def _locked_job_batch(job) -> LedgerImport | None:
    """Inside the writing transaction: the batch this job already produced (a re-run after a worker was
    killed between the write and the job's outcome), with the job's row locked against a concurrent run."""
    if job is None:
        return None
    batch_id = ImportJob.objects.select_for_update().values_list("batch_id", flat=True).get(pk=job.pk)
    return LedgerImport.objects.filter(pk=batch_id).first() if batch_id else None


def ledger_import(*, actor, file, progress=None, job=None) -> LedgerImport:
    """Import the bank's ledger (CSV, or .xlsx of one or several sheets of the template): all rows or none.

    Raises DomainError for a bad file, LedgerImportRejected (carrying the refused batch) for row errors.
    `progress(rows read, estimated total)` is called per chunk; `job` (an ImportJob) makes a re-run return
    the batch the job already wrote instead of writing a second one."""
    _require_bank(actor)
    file_name = imports_checks.file_name_of(file, default="台账.xlsx")
    report = _Report(limit=imports.STORED_ERRORS_LIMIT)
    staging.staging_create()
    try:
        rows = _stage(file, report, progress)
        if progress is not None:  # every data row read: done == total, accepted or refused
            progress(rows, rows)
        if not rows:
            raise DomainError(EMPTY, field="file")
        staging.staging_ready()
        _check_file(report)
        if report.total:
            errors = report.errors()
            with transaction.atomic():
                batch = _locked_job_batch(job) or _record_rejected(
                    actor=actor, file_name=file_name, rows=rows, errors=errors, total=report.total, job=job
                )
            raise LedgerImportRejected(batch=batch, errors=errors, total=report.total)
        with transaction.atomic():
            done = _locked_job_batch(job)
            if done is not None:
                return done
            batch = _write(actor=actor, file_name=file_name, job=job)
    finally:
        staging.staging_drop()
    return batch


def _write(*, actor, file_name: str, job) -> LedgerImport:
    rows, created, latest = staging.staging_apply(now=timezone.now())
    batch = LedgerImport(
        file_name=file_name,
        row_count=rows,
        contracts_created=created,
        snapshots_latest=latest,
        succeeded=True,
        created_by=actor,
    )
    batch.full_clean()
    batch.save()
    audit_record(
        actor=actor,
        action="ledger_import.done",
        obj=batch,
        new={"文件名": file_name, "行数": rows, "新建合同": created},
    )
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(batch_id=batch.pk)
    return batch


def _record_rejected(*, actor, file_name, rows, errors, total, job) -> LedgerImport:
    batch = imports.import_rejection_record(
        model=LedgerImport,
        actor=actor,
        action="ledger_import.rejected",
        file_name=file_name,
        rows=rows,
        errors=errors,
        error_total=total,
        error_count=total,
    )
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(batch_id=batch.pk)
    return batch


def _outcome(batch: LedgerImport) -> tuple[str, int, str]:
    if batch.succeeded:
        return (
            "done",
            batch.pk,
            f"导入成功：{batch.row_count} 个合同的台账，新建合同 {batch.contracts_created} 个",
        )
    total = max(batch.error_count, len(batch.errors))
    shown = f"，错误报告列出前{len(batch.errors)}处" if total > len(batch.errors) else ""
    return "rejected", batch.pk, f"台账中有{total}处错误，未导入任何数据{shown}"


def ledger_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background ledger import (loanportal.imports.jobs kind "ledger"). A re-run of a job
    whose import already finished (the worker died before recording the outcome) returns that outcome."""
    if job.batch_id is not None:
        batch = LedgerImport.objects.filter(pk=job.batch_id).first()
        if batch is not None:
            return _outcome(batch)
    try:
        batch = ledger_import(actor=job.created_by, file=file, progress=progress, job=job)
    except LedgerImportRejected as exc:
        return "rejected", exc.batch.pk, exc.message
    except DomainError as exc:
        return "rejected", None, exc.message
    return _outcome(batch)
