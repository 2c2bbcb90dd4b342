"""回执录入 at speed (notice 八: 10月10日前高校完成学生贷款回执信息的录入): one code at a time from a
handheld scanner, or a whole list at once (spreadsheet or pasted text) through the one import path.
Every code goes through `receipt_enter` (check character, own university, already entered, state, the
calendar with the university's extension)."""

import datetime
from dataclasses import dataclass

from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.imports import (
    Field,
    RowResult,
    Template,
    cell_text,
    check_upload,
    read_rows,
    read_text_rows,
    run_sheet_import,
)
from loanportal.roles import UNIVERSITY_ROLES

from ...models import Application, ApplicationStatus
from ...rules import lifecycle as rules
from ...rules.intake import mask_name
from ...rules.receipts import receipt_message_masked
from .transitions import RECEIPT_ALREADY_ENTERED, receipt_enter


@dataclass(frozen=True)
class ReceiptScan:
    """The answer for one scanned code, as listed above the input (green or red)."""

    ok: bool
    code: str  # grouped for reading: ABCDE-FGHJK (as typed when it is not a code at all)
    student: str  # masked name (张*明), "" when the code names no student of the university
    message: str
    status: int  # HTTP status of the refusal (200 when entered)
    application_pk: int | None = None


def receipt_scan(*, actor, receipt_code: str, on: datetime.date | None = None) -> ReceiptScan:
    """Enter one scanned code and say what happened, never raising for a refused code (the next code is
    already on its way): the masked name of the student when the code is one of the university's own."""
    code = rules.receipt_code_normalise(receipt_code)[:20]
    shown = rules.receipt_code_display(code) if rules.receipt_code_is_valid(code) else code
    try:
        application = receipt_enter(actor=actor, receipt_code=code, on=on)
    except PermissionDeniedError:
        raise
    except DomainError as exc:
        own = (
            Application.objects.filter(receipt_code=code, university_id=actor.organisation_id)
            .select_related("student")
            .first()
            if rules.receipt_code_is_valid(code)
            else None
        )
        name = own.student.name if own else ""
        return ReceiptScan(
            ok=False,
            code=shown,
            student=mask_name(name),
            message=receipt_message_masked(exc.message, name),
            status=exc.status_code,
            application_pk=own.pk if own else None,
        )
    return ReceiptScan(
        ok=True,
        code=shown,
        student=mask_name(application.student.name),
        message="回执已录入",
        status=200,
        application_pk=application.pk,
    )


# --- list import (all or nothing) ---------------------------------------------------------------

# A stack of paper receipts is a few hundred; a list above this goes in batches (each row is a transition).
RECEIPT_LIST_MAX_ROWS = 2000

RECEIPT_TEMPLATE = Template(
    title="回执码清单",
    fields=(
        Field("receipt_code", "回执码", required=True, text=True),
        Field("name", "学生姓名", aliases=("姓名",)),
    ),
)


def receipt_template_workbook() -> bytes:
    """The list template (回执码清单): its header only — no student's data, so a plain download like the
    other import templates (no export approval)."""
    from loanportal.exports.templates import import_template_workbook

    return import_template_workbook(
        title="回执码清单",
        fields=RECEIPT_TEMPLATE.fields,
        hints={"receipt_code": "贷款回执上的回执码（扫码枪录入或手工填写，文本格式）", "name": "用于核对"},
        widths={"receipt_code": 24, "name": 16},
    )


def receipt_import(
    *, actor, file=None, text: str | None = None, on: datetime.date | None = None, progress=None
) -> list[Application]:
    """Enter every receipt of a list — a spreadsheet (column 回执码, optionally 学生姓名) or pasted text
    (one code per line) — or none: every row is checked first (check character, own university, state,
    already entered, twice in the list, the name when given), then all are entered in one transaction.
    Raises ImportRejected with the row errors, DomainError for a bad file or a closed calendar."""
    if getattr(actor, "role", None) not in UNIVERSITY_ROLES:
        raise PermissionDeniedError("只有高校可以录入回执")
    if text is not None:
        sheet, file_name = read_text_rows(text, RECEIPT_TEMPLATE), "粘贴的清单"
    else:
        checked = check_upload(file)
        sheet, file_name = read_rows(checked, RECEIPT_TEMPLATE), checked.name
    if sheet.total > RECEIPT_LIST_MAX_ROWS:
        raise DomainError(
            f"清单有{sheet.total}行，一次最多导入{RECEIPT_LIST_MAX_ROWS}个回执码，请分批导入", field="file"
        )
    # the university's signed applications by code, read once (not one query per row)
    own_by_code = {
        a.receipt_code: a
        for a in Application.objects.filter(
            university_id=actor.organisation_id, receipt_code__isnull=False
        ).select_related("student")
    }

    def validate_row(row) -> RowResult:
        raw = cell_text(row.cells.get("receipt_code"))
        code = rules.receipt_code_normalise(raw)
        values = {"code": code}
        name = cell_text(row.cells.get("name"))
        if not code:
            return RowResult(values, [], name)
        if not rules.receipt_code_is_valid(code):
            return RowResult(values, [("receipt_code", f"回执码“{raw[:20]}”校验位错误，请核对")], name)
        application = own_by_code.get(code)
        if application is None:
            return RowResult(
                values, [("receipt_code", f"未找到回执码“{raw[:20]}”（不是本校学生的回执）")], name
            )
        values["application"] = application
        label = application.student.name
        if name and name != application.student.name:
            return RowResult(values, [("name", f"姓名“{name}”与回执码对应的学生“{label}”不一致")], label)
        if application.status in RECEIPT_ALREADY_ENTERED:
            return RowResult(values, [("receipt_code", f"{label}的回执已录入，请从清单中删去")], label)
        if application.status != ApplicationStatus.CONTRACT_SIGNED:
            state = ApplicationStatus(application.status).label
            return RowResult(values, [("receipt_code", f"{label}的申请当前为“{state}”，不能录入回执")], label)
        return RowResult(values, [], label)

    def check_rows(accepted) -> list[tuple[int, str, str]]:
        seen: dict[str, int] = {}
        problems = []
        for row, values in accepted:
            code = values.get("code")
            if not code:
                continue
            if code in seen:
                problems.append((row.number, "receipt_code", f"与第{seen[code]}行的回执码重复"))
            else:
                seen[code] = row.number
        return problems

    def write(accepted) -> list[Application]:
        return [
            receipt_enter(actor=actor, receipt_code=values["code"], on=on)
            for _, values in accepted
            if values.get("code")
        ]

    outcome = run_sheet_import(
        sheet=sheet,
        file_name=file_name,
        template=RECEIPT_TEMPLATE,
        validate_row=validate_row,
        check_rows=check_rows,
        write=write,
        empty_message="清单为空：请每行一个回执码"
        if text is not None
        else "文件中没有数据行（第1行为表头，第2行起为数据）",
        progress=progress,
    )
    return outcome.result


def receipt_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background receipt list import (loanportal.imports.jobs kind "receipts"): same rules;
    a refused list's errors are kept on the job."""
    from loanportal.imports.jobs import import_job_rejected

    try:
        entered = receipt_import(actor=job.created_by, file=file, progress=progress)
    except DomainError as exc:
        return import_job_rejected(job=job, exc=exc)
    return "done", None, f"导入成功：已录入 {len(entered)} 名学生的贷款回执"
