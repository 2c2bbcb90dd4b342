"""The one import path: check the file, read the rows, validate each with the app's rules, write all or none.

    outcome = run_import(
        file=upload,
        template=TEMPLATE,              # reader.Template: the columns, matched by header
        validate_row=check_one,         # Row -> RowResult (or None to skip the row, e.g. an example row)
        check_rows=check_together,      # optional: [(Row, values)] -> [(row number, field key, message)]
                                        #   (duplicates in the file, rows already in the database)
        write=save_all,                 # [(Row, values)] -> anything; runs in one transaction
    )

Every error is a RowError (sheet row number as the user sees it, column letter, column header, message,
and the row's subject, e.g. the student's name); a file with any error raises ImportRejected carrying them
all, and nothing is written. A bad file (checks.py, reader.py) raises DomainError before any row is read.
At most one error per cell: the template's own checks (required, text-only) come first.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from ..errors import DomainError
from .checks import CheckedFile, check_upload
from .reader import Row, Template, column_letter, read_rows


@dataclass
class RowResult:
    """What the app's validate_row returns: the row's cleaned values, its errors as (field key, message)
    pairs, and a label naming the row's subject for the error report (e.g. the student's name)."""

    values: dict
    errors: list = field(default_factory=list)
    label: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the column letter in the uploaded sheet ("" for the whole row)
    header: str
    message: str
    name: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "message": self.message,
            "name": self.name,
        }


class ImportRejected(DomainError):
    """The file has row errors: nothing was written. `errors` (RowError, in sheet order), `rows` read."""

    def __init__(self, *, errors: list[RowError], rows: int, file_name: str):
        super().__init__(f"文件中有{len(errors)}处错误，未导入任何数据；请按错误报告修改后重新导入")
        self.errors = errors
        self.rows = rows
        self.file_name = file_name


@dataclass
class ImportOutcome:
    file_name: str
    rows: int
    result: object  # what write returned


def text_cell_message(header: str) -> str:
    return (
        f"“{header}”是数字格式（表格软件会显示成1.4E+17之类，末尾几位或开头的0已被改写）；"
        "请把该列设置为文本格式后重新填写"
    )


def required_message(header: str) -> str:
    return f"“{header}”不能为空"


class _Errors:
    """Collects RowErrors, at most one per cell."""

    def __init__(self, template: Template, positions: dict):
        self.template = template
        self.letters = {key: column_letter(index + 1) for key, index in positions.items()}
        self.headers = {f.key: f.header for f in template.fields}
        self.items: list[RowError] = []
        self.seen: set = set()

    def add(self, row: int, key: str | None, message: str, name: str = "") -> None:
        if (row, key) in self.seen and key is not None:
            return
        self.seen.add((row, key))
        self.items.append(
            RowError(
                row=row,
                column=self.letters.get(key, "") if key else "",
                header=self.headers.get(key, "") if key else "",
                message=message,
                name=name,
            )
        )

    def sorted(self) -> list[RowError]:
        order = {f.header: i for i, f in enumerate(self.template.fields)}
        return sorted(self.items, key=lambda e: (e.row, order.get(e.header, -1)))


def run_import(
    *,
    file,
    template: Template,
    validate_row: Callable[[Row], RowResult | None],
    write: Callable[[list], object],
    check_rows: Callable[[list], list[tuple[int, str, str]]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    empty_message: str = "文件中没有数据行（第1行为表头，第2行起为数据）",
) -> ImportOutcome:
    """Check, read, validate every row, then write all rows in one transaction or raise ImportRejected."""
    checked: CheckedFile = check_upload(file)
    sheet = read_rows(checked, template)
    return run_sheet_import(
        sheet=sheet,
        file_name=checked.name,
        template=template,
        validate_row=validate_row,
        write=write,
        check_rows=check_rows,
        progress=progress,
        empty_message=empty_message,
    )


def run_sheet_import(
    *,
    sheet,
    file_name: str,
    template: Template,
    validate_row: Callable[[Row], RowResult | None],
    write: Callable[[list], object],
    check_rows: Callable[[list], list[tuple[int, str, str]]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    empty_message: str = "文件中没有数据行（第1行为表头，第2行起为数据）",
) -> ImportOutcome:
    """The second half of run_import on rows already read (a sheet, or a pasted list: reader.read_text_rows):
    the same per-row validation, error report and all-or-nothing write."""
    errors = _Errors(template, sheet.positions)
    required = [(f.key, required_message(f.header)) for f in template.fields if f.required]
    text_only = [(f.key, text_cell_message(f.header)) for f in template.fields if f.text]
    accepted: list[tuple[Row, dict]] = []
    labels: dict[int, str] = {}
    total = sheet.total
    for done, row in enumerate(sheet.rows, start=1):
        result = validate_row(row)
        if result is None:
            continue
        cells = row.cells
        for key, message in text_only:
            kind = cells[key].__class__
            if kind is float or kind is int:  # calamine's numbers (bool is neither)
                errors.add(row.number, key, message, result.label)
        for key, message in required:
            value = cells[key]
            if value is None or (value.__class__ is str and not value.strip()):
                errors.add(row.number, key, message, result.label)
        for key, message in result.errors:
            errors.add(row.number, key, message, result.label)
        accepted.append((row, result.values))
        labels[row.number] = result.label
        if progress is not None and done % 1000 == 0:
            progress(done, total)
    if not accepted:
        raise DomainError(empty_message, field="file")
    if check_rows is not None:
        for number, key, message in check_rows(accepted):
            errors.add(number, key, message, labels.get(number, ""))
    if errors.items:
        raise ImportRejected(errors=errors.sorted(), rows=len(accepted), file_name=file_name)
    with transaction.atomic():
        result = write(accepted)
    if progress is not None:
        progress(total, total)
    return ImportOutcome(file_name=file_name, rows=len(accepted), result=result)


# A refused file's errors kept for its report page (the first ones: a broken file can have a line per row).
STORED_ERRORS_LIMIT = 5000


def import_rejection_record(
    *,
    model,
    actor,
    action: str,
    file_name: str,
    rows: int,
    errors: list[dict],
    audit_organisation=None,
    **fields,
):
    """A refused file leaves one batch row of `model` (succeeded=False, its first errors, who, the file's
    name and row count) and one audit row `action` — and nothing else (the import wrote nothing)."""
    from ..audit import audit_record

    with transaction.atomic():
        batch = model(
            file_name=file_name,
            row_count=rows,
            succeeded=False,
            errors=errors[:STORED_ERRORS_LIMIT],
            created_by=actor,
            **fields,
        )
        batch.full_clean()
        batch.save()
        audit_record(
            actor=actor,
            action=action,
            obj=batch,
            new={"文件名": file_name, "行数": rows, "错误数": len(errors)},
            organisation=audit_organisation,
        )
    return batch
