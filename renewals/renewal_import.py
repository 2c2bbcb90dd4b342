"""The bank system's spreadsheet of renewal declarations (续贷声明导入, notice 三(七)): the students declare in
the bank's system; a university or county uploads the file. Through the one import path
(loanportal.imports): every row checked (the student among the uploader's own, name and ID agree, the
year's limit and the fee standard, not declared yet, not twice in the file), then all rows or none; a
large file runs as an ImportJob. Each declaration is written by renewal_declare (audited)."""

import datetime

from django.core.exceptions import ValidationError

from loanportal import imports
from loanportal.audit import audit_record
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.imports.checks import file_name_of
from loanportal.models import Student
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES
from loanportal.rules import id_number_error, normalise_id_number
from loanportal.selectors import students_visible_to

from .models import RenewalDeclaration, RenewalImport, RenewalSource

IMPORT_ROLES = frozenset({*COUNTY_ROLES, *UNIVERSITY_ROLES})
TEMPLATE = imports.Template(
    title="续贷声明",
    fields=(
        imports.Field("name", "姓名", required=True),
        imports.Field("id_number", "身份证号", required=True, text=True),
        imports.Field("contract_number", "原合同编号", required=True, text=True, aliases=("合同编号",)),
        imports.Field("year", "贷款年度", required=True, aliases=("学年",)),
        imports.Field("tuition_amount", "申请学费贷款（元）", required=True, aliases=("学费贷款",)),
        imports.Field("accommodation_amount", "申请住宿费贷款（元）", aliases=("住宿费贷款",)),
        imports.Field("declared_on", "声明日期"),
        imports.Field("statement", "学生声明"),
    ),
)
EXAMPLE_NAME = "示例：张三"


class RenewalImportRejected(DomainError):
    """The file has row errors: nothing imported; `batch` keeps the report."""

    def __init__(self, *, batch: RenewalImport, errors: list[dict]):
        super().__init__(f"文件中有{len(errors)}处错误，未导入任何续贷声明；请按错误报告修改后重新导入")
        self.batch = batch
        self.errors = errors


def _whole_number(value, *, label: str, minimum: int, maximum: int) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, f"{label}应为整数"
    if isinstance(value, float):
        if not value.is_integer():
            return None, f"{label}应为整数，不能有小数"
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text.isdigit():
            return None, f"{label}应为整数，填写的是“{value.strip()[:20]}”"
        value = int(text)
    if not minimum <= value <= maximum:
        return None, f"{label}应在{minimum}–{maximum}之间"
    return value, None


def _date(value) -> tuple[datetime.date | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    text = imports.cell_text(value).replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text), None
    except ValueError:
        return None, f"声明日期“{text[:20]}”不是日期，请写成 2026-06-30"


def _validate_row(row: imports.Row) -> imports.RowResult | None:
    cells = row.cells
    name = imports.cell_text(cells["name"])
    if name.startswith("示例"):
        return None
    errors = []
    id_number = normalise_id_number(imports.cell_text(cells["id_number"])) if cells["id_number"] else ""
    if id_number and not isinstance(cells["id_number"], float | int):
        message = id_number_error(id_number)
        if message:
            errors.append(("id_number", message))
    year, message = _whole_number(cells["year"], label="贷款年度", minimum=2000, maximum=2100)
    if message:
        errors.append(("year", message))
    amounts = {}
    for key, label in (("tuition_amount", "申请学费贷款"), ("accommodation_amount", "申请住宿费贷款")):
        amounts[key], message = _whole_number(cells[key], label=label, minimum=0, maximum=1_000_000)
        if message:
            errors.append((key, message))
    declared_on, message = _date(cells["declared_on"])
    if message:
        errors.append(("declared_on", message))
    values = {
        "name": name,
        "id_number": id_number,
        "contract_number": imports.cell_text(cells["contract_number"])[:40],
        "year": year,
        "tuition_amount": amounts["tuition_amount"],
        "accommodation_amount": amounts["accommodation_amount"] or 0,
        "declared_on": declared_on,
        "statement": imports.cell_text(cells["statement"])[:2000],
        "valid": not errors,
    }
    return imports.RowResult(values, errors, label=name)


def renewal_import(*, actor, file, progress=None) -> RenewalImport:
    """Import the bank system's declarations (all or none). Raises RenewalImportRejected (with the stored
    error report) or DomainError for a bad file; returns the succeeded batch."""
    from .services import _amounts_check, renewal_declare

    if getattr(actor, "role", None) not in IMPORT_ROLES:
        raise PermissionDeniedError("只有高校和县级资助中心可以导入续贷声明")
    from deadlines.services import current_loan_year

    this_year = current_loan_year()
    students: dict[str, Student] = {}

    def check_rows(accepted) -> list[tuple[int, str, str]]:
        problems = []
        wanted = {v["id_number"] for _, v in accepted if v["id_number"]}
        for student in (
            students_visible_to(user=actor).filter(id_number__in=wanted).select_related("university")
        ):
            students[student.id_number] = student
        declared = set(
            RenewalDeclaration.objects.filter(student__id_number__in=wanted).values_list(
                "student__id_number", "year"
            )
        )
        first_row: dict[tuple, int] = {}
        for row, v in accepted:
            if not v["valid"] or not v["id_number"]:
                continue
            student = students.get(v["id_number"])
            if student is None:
                problems.append((row.number, "id_number", "不是本单位的借款学生（未找到该身份证号的学生）"))
                continue
            if v["name"] and v["name"] != student.name:
                problems.append(
                    (row.number, "name", f"姓名与该身份证号登记的学生姓名（{student.name}）不一致")
                )
            if student.university_id is None:
                problems.append((row.number, "id_number", "该学生没有登记就读高校，不能提交续贷声明"))
                continue
            if v["year"] is None or v["tuition_amount"] is None:
                continue
            if v["year"] not in (this_year, this_year + 1):
                problems.append(
                    (row.number, "year", f"贷款年度应为{this_year}或{this_year + 1}（本年度或下一年度）")
                )
                continue
            key = (v["id_number"], v["year"])
            if key in first_row:
                problems.append((row.number, "id_number", f"与第{first_row[key]}行是同一学生同一年度的声明"))
                continue
            first_row[key] = row.number
            if key in declared:
                problems.append((row.number, "year", f"该学生{v['year']}年度的续贷声明已提交，不能重复提交"))
                continue
            try:
                _amounts_check(
                    student=student,
                    year=v["year"],
                    university=student.university,
                    tuition=v["tuition_amount"],
                    accommodation=v["accommodation_amount"],
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    key_name = (
                        field if field in ("tuition_amount", "accommodation_amount") else "tuition_amount"
                    )
                    problems.append((row.number, key_name, "；".join(messages)))
        return problems

    file_name = file_name_of(file, "续贷声明.xlsx")

    def write(accepted) -> RenewalImport:
        batch = RenewalImport.objects.create(
            organisation=actor.organisation,
            file_name=file_name,
            row_count=len(accepted),
            succeeded=True,
            created_by=actor,
        )
        for _, v in accepted:
            renewal_declare(
                actor=actor,
                student=students[v["id_number"]],
                year=v["year"],
                contract_number=v["contract_number"],
                tuition_amount=v["tuition_amount"],
                accommodation_amount=v["accommodation_amount"],
                statement=v["statement"],
                declared_on=v["declared_on"],
                source=RenewalSource.IMPORT,
                import_batch=batch,
            )
        audit_record(
            actor=actor,
            action="renewal_import.succeeded",
            obj=batch,
            new={"文件名": file_name, "行数": len(accepted)},
            organisation=actor.organisation,
        )
        return batch

    try:
        outcome = imports.run_import(
            file=file,
            template=TEMPLATE,
            validate_row=_validate_row,
            check_rows=check_rows,
            write=write,
            progress=progress,
            empty_message="文件中没有续贷声明（第1行为表头，第2行起为数据）",
        )
    except imports.ImportRejected as exc:
        errors = [error.as_dict() for error in exc.errors]
        batch = imports.import_rejection_record(
            model=RenewalImport,
            actor=actor,
            action="renewal_import.rejected",
            file_name=file_name,
            rows=exc.rows,
            errors=errors,
            audit_organisation=actor.organisation,
            organisation=actor.organisation,
        )
        raise RenewalImportRejected(batch=batch, errors=errors) from None
    return outcome.result


def renewal_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background renewal import (loanportal.imports.jobs): same rules, with progress."""
    try:
        batch = renewal_import(actor=job.created_by, file=file, progress=progress)
    except RenewalImportRejected as exc:
        return "rejected", exc.batch.pk, exc.message
    except DomainError as exc:
        return "rejected", None, exc.message
    return "done", batch.pk, f"导入成功：{batch.row_count} 份续贷声明已登记"


def renewal_imports_visible_to(*, user):
    """Batches of the user's own organisation (the uploads are the organisation's work)."""
    org_id = getattr(user, "organisation_id", None)
    if not getattr(user, "is_authenticated", False) or org_id is None:
        return RenewalImport.objects.none()
    return RenewalImport.objects.filter(organisation_id=org_id)


def template_workbook() -> bytes:
    from loanportal.exports.workbook import SafeWorkbook

    book = SafeWorkbook()
    sheet = book.add_sheet("续贷声明")
    example = [
        EXAMPLE_NAME,
        "（18位身份证号，文本格式）",
        "62202500000001",
        2026,
        5000,
        1200,
        "2026-06-20",
        "本人申请续贷",
    ]
    grey = book.add_format({"font_color": "#808080", "italic": True, "num_format": "@"})
    for index, header in enumerate(TEMPLATE.headers):
        book.text(sheet, 0, index, header, book.header)
        sheet.set_column(
            index, index, 22 if index in (1, 2) else 16, book.text_format if index in (1, 2) else None
        )
        book.text(sheet, 1, index, str(example[index]), grey)
    sheet.freeze_panes(1, 0)
    return book.close()
