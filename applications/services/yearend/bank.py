"""银行审批放款 (notice 八: the bank approves and disburses by the key date): per contract, and from the
bank's spreadsheet through the one import path (loanportal.imports), reconciled against the portal and
written all or nothing."""

import datetime

from django.db import transaction
from django.utils import timezone

from loanportal import imports
from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.imports import checks as imports_checks

from ...models import Application, ApplicationStatus, BankStatusImport
from ...rules import lifecycle as lifecycle_rules
from ...rules import yearend as rules
from ..lifecycle import application_transition
from ..lifecycle.transitions import calendar_organisation

BANK_IMPORT_TEMPLATE = imports.Template(
    title="银行审批放款情况",
    fields=(
        imports.Field("contract_number", "合同号", required=True, text=True),
        imports.Field("student_name", "学生姓名"),
        imports.Field("result", "审批结果", required=True, aliases=("状态",)),
        imports.Field("loan_amount", "贷款金额（元）", required=True, aliases=("合同金额（元）", "贷款金额")),
        imports.Field("to_university", "划入高校金额（元）", aliases=("划入高校金额",)),
        imports.Field("to_student", "划入学生金额（元）", aliases=("划入学生金额",)),
        imports.Field("disbursed_on", "放款日期"),
        imports.Field("reason", "不通过原因"),
    ),
)


def _require_bank_status_role(actor) -> None:
    if getattr(actor, "role", None) not in lifecycle_rules.BANK_STATUS_ROLES:
        raise PermissionDeniedError("只有银行经办人员或省中心经办人员可以登记银行审批放款情况")


def _check(*, application: Application, result: str, values: dict, today: datetime.date) -> dict[str, str]:
    """Field → message: the reconciliation of one contract (state, amounts, reason, disbursement)."""
    errors = {}
    refusal = rules.status_refusal(
        result=result, status=application.status, status_label=application.get_status_display()
    )
    if refusal:
        errors["contract_number"] = refusal
    signed = application.total_amount
    if values.get("loan_amount") is not None:
        mismatch = rules.amount_mismatch(bank_amount=values["loan_amount"], signed_amount=signed)
        if mismatch:
            errors["loan_amount"] = mismatch
    if result == rules.RESULT_DECLINED and len((values.get("reason") or "").strip()) < 2:
        errors["reason"] = "审批不通过须填写原因"
    if result == rules.RESULT_DISBURSED:
        errors.update(
            rules.disbursement_errors(
                signed_amount=signed,
                to_university=values.get("to_university"),
                to_student=values.get("to_student"),
                disbursed_on=values.get("disbursed_on"),
                today=today,
            )
        )
    return errors


def _moves(application: Application, result: str, values: dict) -> tuple[str, ...]:
    """The moves the result makes; a disbursement recorded again with other figures is a conflict."""
    path = rules.RESULT_PATHS[result].get(application.status, ())
    if result == rules.RESULT_DISBURSED and application.status == ApplicationStatus.DISBURSED:
        same = (
            application.disbursed_on == values.get("disbursed_on")
            and application.disbursed_to_university == values.get("to_university")
            and application.disbursed_to_student == values.get("to_student")
        )
        if not same:
            raise DomainError("该合同已登记放款，放款日期或金额与已登记的不同；如需更正请联系省中心")
    return path


def bank_status_record(
    *,
    actor,
    application: Application,
    result: str,
    reason: str = "",
    loan_amount: int | None = None,
    to_university: int | None = None,
    to_student: int | None = None,
    disbursed_on: datetime.date | None = None,
    on: datetime.date | None = None,
) -> Application:
    """Record the bank's result on one contract (银行审批放款登记): approved (→ 银行已审批), declined with a
    reason (→ 银行未通过) or disbursed (→ 已放款, approving first if needed) with the amount to the
    university's fee account, the remainder to the student and the date. Checked by the same
    reconciliation as the spreadsheet; every move through the one transition service. The same result
    recorded twice changes nothing."""
    _require_bank_status_role(actor)
    if result not in rules.RESULT_LABELS:
        raise DomainError("审批结果只能是：审批通过、审批不通过、已放款", field="result")
    today = on or timezone.localdate()
    values = {
        "reason": reason,
        "loan_amount": loan_amount,
        "to_university": to_university,
        "to_student": to_student,
        "disbursed_on": disbursed_on,
    }
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        errors = _check(application=current, result=result, values=values, today=today)
        if "contract_number" in errors:  # the contract's state: 409
            raise ConflictError(errors["contract_number"], field="result")
        if errors:
            field, message = next(iter(errors.items()))
            raise DomainError(message, field=field)
        moved = current
        for to in _moves(current, result, values):
            moved = application_transition(
                actor=actor,
                application=moved,
                to=to,
                reason=(reason or "").strip() if to == ApplicationStatus.BANK_DECLINED else "",
                on=on,
                disbursement={
                    "disbursed_on": disbursed_on,
                    "disbursed_to_university": to_university,
                    "disbursed_to_student": to_student,
                }
                if to == ApplicationStatus.DISBURSED
                else None,
            )
        return moved


# --- the bank's spreadsheet ----------------------------------------------------------------------


class BankStatusImportRejected(DomainError):
    """The file has row errors: nothing changed; `batch` holds the report, `errors` its rows."""

    def __init__(self, *, batch: BankStatusImport, errors: list[dict]):
        super().__init__(f"文件中有{len(errors)}处错误，未登记任何合同；请按错误报告修改后重新导入")
        self.batch = batch
        self.errors = errors


def _validate_row(row: imports.Row) -> imports.RowResult | None:
    cells = row.cells
    contract = "".join(str(cells["contract_number"] or "").split())
    name = str(cells["student_name"] or "").strip()
    if contract.startswith("示例") or name.startswith("示例"):
        return None  # the template's example row
    errors = []
    values = {"contract_number": contract, "student_name": name, "reason": str(cells["reason"] or "").strip()}
    result = rules.result_parse(cells["result"])
    if cells["result"] not in (None, "") and result is None:
        errors.append(("result", "审批结果只能填写：审批通过、审批不通过、已放款"))
    values["result"] = result
    for key in ("loan_amount", "to_university", "to_student"):
        raw = cells[key]
        values[key] = rules.amount_parse(raw)
        if raw not in (None, "") and values[key] is None:
            errors.append((key, "金额须为不小于0的整数元（如6200）"))
    raw_date = cells["disbursed_on"]
    values["disbursed_on"] = rules.date_parse(raw_date)
    if raw_date not in (None, "") and values["disbursed_on"] is None:
        errors.append(("disbursed_on", "放款日期格式不对，请填写如2026-11-15"))
    if len(values["reason"]) > 500:
        errors.append(("reason", "不通过原因不能超过500字"))
    return imports.RowResult(values, errors, label=name or contract)


def _applications_by_contract(numbers) -> dict[str, Application]:
    found = {}
    numbers = [n for n in numbers if n]
    for start in range(0, len(numbers), 5000):
        for application in Application.objects.filter(
            contract_number__in=numbers[start : start + 5000]
        ).select_related("student"):
            found[application.contract_number] = application
    return found


def bank_status_import(*, actor, file, progress=None, on: datetime.date | None = None) -> BankStatusImport:
    """Import the bank's status spreadsheet (银行审批放款情况导入). Every row is reconciled against the
    portal — unknown contract numbers, an amount other than the signed amount, a contract whose receipt
    the county has not confirmed, a contract twice in the file, the calendar — and reported in the
    sheet's own rows and columns; only a file without a single error changes anything, in one transaction."""
    _require_bank_status_role(actor)
    from deadlines.services import is_open

    today = on or timezone.localdate()
    calendar_org = calendar_organisation(actor, ApplicationStatus.BANK_APPROVED)
    found: dict[str, Application] = {}

    def check_rows(accepted) -> list[tuple[int, str, str]]:
        problems = []
        found.update(_applications_by_contract([values["contract_number"] for _, values in accepted]))
        first_row_of: dict[str, int] = {}
        open_years: dict[int, bool] = {}
        for row, values in accepted:
            number = values["contract_number"]
            if not number:
                continue
            first = first_row_of.setdefault(number, row.number)
            if first != row.number:
                problems.append(
                    (row.number, "contract_number", f"合同号与第{first}行重复（同一合同在文件中出现两次）")
                )
                continue
            application = found.get(number)
            if application is None:
                problems.append((row.number, "contract_number", f"系统中没有合同号为{number}的贷款合同"))
                continue
            if values["student_name"] and values["student_name"] != application.student.name:
                problems.append(
                    (
                        row.number,
                        "student_name",
                        f"学生姓名“{values['student_name']}”与合同登记的“{application.student.name}”不一致",
                    )
                )
            if values["result"] is None:
                continue
            for key, message in _check(
                application=application, result=values["result"], values=values, today=today
            ).items():
                problems.append((row.number, key, message))
            if application.year not in open_years:
                open_years[application.year] = is_open(
                    "bank_approval_due", calendar_org, on=today, year=application.year
                )
            if not open_years[application.year]:
                problems.append(
                    (row.number, "result", f"{application.year}年度银行审批放款期限已过，不能登记")
                )
        return problems

    counts = {"approved": 0, "declined": 0, "disbursed": 0, "unchanged": 0}

    def write(accepted):
        for _, values in sorted(accepted, key=lambda item: found[item[1]["contract_number"]].pk):
            application = found[values["contract_number"]]
            before = application.status
            moved = bank_status_record(
                actor=actor,
                application=application,
                result=values["result"],
                reason=values["reason"],
                loan_amount=values["loan_amount"],
                to_university=values["to_university"],
                to_student=values["to_student"],
                disbursed_on=values["disbursed_on"],
                on=on,
            )
            counts[values["result"] if moved.status != before else "unchanged"] += 1
        batch = _batch(actor=actor, file_name=file_name, rows=len(accepted), succeeded=True, **counts)
        audit_record(
            actor=actor,
            action="bank_status_import.succeeded",
            obj=batch,
            new={"文件名": file_name, "行数": len(accepted), **{k: v for k, v in counts.items()}},
            organisation=actor.organisation,
        )
        return batch

    file_name = imports_checks.file_name_of(file, default="银行审批放款情况.xlsx")
    try:
        outcome = imports.run_import(
            file=file,
            template=BANK_IMPORT_TEMPLATE,
            validate_row=_validate_row,
            check_rows=check_rows,
            write=write,
            empty_message="文件中没有合同数据（第1行为表头，第2行起为数据）",
            progress=progress,
        )
    except imports.ImportRejected as exc:
        errors = [error.as_dict() for error in exc.errors]
        with transaction.atomic():
            batch = _batch(actor=actor, file_name=file_name, rows=exc.rows, succeeded=False, errors=errors)
            audit_record(
                actor=actor,
                action="bank_status_import.rejected",
                obj=batch,
                new={"文件名": file_name, "行数": exc.rows, "错误数": len(errors)},
                organisation=actor.organisation,
            )
        raise BankStatusImportRejected(batch=batch, errors=errors) from None
    return outcome.result


def _batch(*, actor, file_name: str, rows: int, succeeded: bool, errors=None, **counts) -> BankStatusImport:
    batch = BankStatusImport(
        organisation=actor.organisation,
        file_name=file_name,
        row_count=rows,
        succeeded=succeeded,
        errors=(errors or [])[: imports.STORED_ERRORS_LIMIT],
        created_by=actor,
        **counts,
    )
    batch.full_clean()
    batch.save()
    return batch


def bank_status_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background bank status import (loanportal.imports.jobs): the same import, same rules."""
    try:
        batch = bank_status_import(actor=job.created_by, file=file, progress=progress)
    except BankStatusImportRejected as exc:
        return "rejected", exc.batch.pk, exc.message
    except DomainError as exc:
        return "rejected", None, exc.message
    return (
        "done",
        batch.pk,
        f"导入成功：{batch.row_count}个合同（审批通过{batch.approved}、不通过{batch.declined}、"
        f"放款{batch.disbursed}、无变化{batch.unchanged}）",
    )
