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

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, OperationalError, connection, transaction

from ..errors import ConflictError, DomainError
from ..rules import mask_text
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
    sheet: str = ""  # the worksheet's name as its tab shows it ("" for a pasted list or a CSV)

    def as_dict(self) -> dict:
        error = {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "message": self.message,
            "name": self.name,
        }
        if self.sheet:
            error["sheet"] = self.sheet
        return error


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


def text_cell_message(header: str, kind: str = "") -> str:
    """The message for a number cell in a text-only column, by the column's kind (`text_kind`): an ID number
    has lost its last digits (a spreadsheet keeps 15 significant digits), a phone the landline's leading 0,
    anything else may have been rewritten (leading zeros, long digit strings)."""
    if kind == "id_number":
        return (
            f"“{header}”是数字格式：表格软件只保留15位有效数字，18位身份证号的末尾几位已变成0"
            "（常显示成1.4E+17之类）；请把该列设置为文本格式后重新填写"
        )
    if kind == "phone":
        return (
            f"“{header}”是数字格式：固定电话区号开头的0会被去掉，号码也可能显示成数字或科学计数；"
            "请把该列设置为文本格式后重新填写"
        )
    return f"“{header}”是数字格式，开头的0或较长的数字可能已被表格软件改写；请把该列设置为文本格式后重新填写"


def text_kind(key: str) -> str:
    """A text-only column's kind for its message, from the field key: "id_number", "phone" or ""."""
    if "id_number" in key:
        return "id_number"
    if "phone" in key or "mobile" in key:
        return "phone"
    return ""


# How Excel and WPS save a long number in "General" format to CSV (and show it in the cell): 1.40102E+17.
_SCIENTIFIC_RE = re.compile(r"\s*[0-9](?:\.[0-9]+)?E\+[0-9]{2}\s*")


def number_lost_digits(value) -> bool:
    """True when a text-only column's cell is a number — a number cell (calamine's float/int; bool is
    neither) or, from a CSV, the scientific notation a spreadsheet wrote for it (1.40102E+17): either way the
    digits are gone and must not be guessed back."""
    kind = value.__class__
    if kind is float or kind is int:
        return True
    return kind is str and "E+" in value and _SCIENTIFIC_RE.fullmatch(value) is not None


def required_message(header: str) -> str:
    return f"“{header}”不能为空"


class _Errors:
    """Collects RowErrors, at most one per cell."""

    def __init__(self, template: Template, positions: dict, sheet: str = ""):
        self.template = template
        self.sheet = mask_text(sheet)  # a tab's name is typed by the user too
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
                # A message may quote the cell (“填写的是…”): an ID number or phone typed anywhere in the
                # file is masked in the report, which the uploader's colleagues and the province read too.
                message=mask_text(message),
                name=mask_text(name),
                sheet=self.sheet,
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
    stream: "StreamedWrite | None" = None,
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
        stream=stream,
    )


@dataclass(frozen=True)
class StreamedWrite:
    """An import that writes its rows while the next ones are being checked (PostgreSQL, and only when no
    progress callback is given, i.e. for a list a clerk waits for at the window).

    `write(chunks)` runs in the import's transaction and consumes `chunks`, an iterator of lists of checked
    values that checks the next STREAM_CHUNK_ROWS rows each time it is advanced. Feeding it to a COPY (a
    file object whose read() advances it) lets PostgreSQL parse and index one chunk in its own process while
    this one checks the next. It returns the import's result.

    Only for an import whose `validate_row` does not use the database and whose `check_rows` problems are all
    constraint violations of the rows written (a clean write means check_rows would find nothing). At the
    first row error the iterator ends; the write is then rolled back, as it is when the database refuses a
    row (IntegrityError), and the report is made as without streaming: every row checked, check_rows run,
    nothing kept. `conflict_message`: the ConflictError when the database refused a row that check_rows then
    finds nothing wrong with (another import's rows, committed meanwhile).
    """

    write: Callable[[Iterator[list[dict]]], object]
    conflict_message: str


STREAM_CHUNK_ROWS = 1000


class _RowChecks:
    """The per-row part of every import: the template's own checks (text-only, required) and the app's
    validate_row, collecting RowErrors (at most one per cell) and the accepted rows. Iterating checks the
    rows, yielding each accepted row's values."""

    def __init__(self, *, sheet, template, validate_row, progress):
        self.sheet = sheet
        self.validate_row = validate_row
        self.progress = progress
        self.errors = _Errors(template, sheet.positions, sheet.title if sheet.named else "")
        self.required = [(f.key, required_message(f.header)) for f in template.fields if f.required]
        self.text_only = [
            (f.key, text_cell_message(f.header, text_kind(f.key))) for f in template.fields if f.text
        ]
        self.accepted: list[tuple[Row, dict]] = []
        self.labels: dict[int, str] = {}
        self.done = 0  # data rows checked (blank rows are not rows), set when every row is checked
        self._iterator = self._check()

    def __iter__(self):
        return self._iterator

    def _check(self):
        errors, progress, total = self.errors, self.progress, self.sheet.total
        required, text_only, accepted, labels = self.required, self.text_only, self.accepted, self.labels
        done = 0
        for done, row in enumerate(self.sheet.rows, start=1):
            result = self.validate_row(row)
            if result is None:
                continue
            cells = row.cells
            for key, message in text_only:
                if number_lost_digits(cells[key]):
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
                progress(done, max(total, done))
            yield result.values
        self.done = done

    def finish(self) -> None:
        """Check the rows not checked yet."""
        for _values in self._iterator:
            pass

    def clean_chunks(self) -> Iterator[list[dict]]:
        """The accepted values, STREAM_CHUNK_ROWS at a time, as long as no row has an error."""
        chunk: list[dict] = []
        for values in self._iterator:
            if self.errors.items:
                return
            chunk.append(values)
            if len(chunk) == STREAM_CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk and not self.errors.items:
            yield chunk

    def check_together(self, check_rows) -> None:
        if check_rows is not None:
            for number, key, message in check_rows(self.accepted):
                self.errors.add(number, key, message, self.labels.get(number, ""))


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
    stream: StreamedWrite | None = None,
) -> ImportOutcome:
    """The second half of run_import on rows already read (a sheet, or a pasted list: reader.read_text_rows):
    the same per-row validation, error report and all-or-nothing write."""
    rows = _RowChecks(sheet=sheet, template=template, validate_row=validate_row, progress=progress)
    streamed = stream is not None and progress is None and connection.vendor == "postgresql"
    if streamed:
        written = _write_while_checking(rows, stream, empty_message)
        if written is not _REFUSED:
            return ImportOutcome(file_name=file_name, rows=len(rows.accepted), result=written)
    rows.finish()
    if not rows.accepted:
        raise DomainError(empty_message, field="file")
    rows.check_together(check_rows)
    if rows.errors.items:
        if progress is not None:  # every data row read: done == total, refused as accepted
            progress(rows.done, rows.done)
        raise ImportRejected(errors=rows.errors.sorted(), rows=len(rows.accepted), file_name=file_name)
    if streamed:
        raise ConflictError(stream.conflict_message)  # refused by the database, yet nothing wrong: a race
    with transaction.atomic():
        result = write(rows.accepted)
    if progress is not None:
        progress(rows.done, rows.done)
    return ImportOutcome(file_name=file_name, rows=len(rows.accepted), result=result)


_REFUSED = object()


class _RollBack(Exception):
    """Leaves the import's transaction without keeping anything."""


def _write_while_checking(rows: _RowChecks, stream: StreamedWrite, empty_message: str):
    """The import's result, or _REFUSED when a row error or the database refused the write (rolled back)."""
    try:
        with transaction.atomic():
            result = stream.write(rows.clean_chunks())
            rows.finish()
            if not rows.accepted:
                raise DomainError(empty_message, field="file")
            if rows.errors.items:
                raise _RollBack
            return result
    except _RollBack:
        return _REFUSED
    except (IntegrityError, OperationalError) as exc:
        if not refused_by_a_concurrent_write(exc):
            raise
        return _REFUSED


def refused_by_a_concurrent_write(exc: Exception) -> bool:
    """True for the database's refusals that mean "another transaction wrote the same rows at the same time":
    a unique or foreign key violation, or the deadlock PostgreSQL breaks when two imports insert the same
    students in opposite orders (SQLSTATE 40P01) — a report or a 409 for the clerk, never a 500."""
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, OperationalError) and getattr(exc.__cause__, "pgcode", None) == "40P01"


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
    error_total: int | None = None,
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
            new={
                "文件名": file_name,
                "行数": rows,
                "错误数": len(errors) if error_total is None else error_total,
            },
            organisation=audit_organisation,
        )
    return batch
