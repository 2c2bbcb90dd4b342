"""Reading a checked spreadsheet with python-calamine and matching its header row to a template.

`read_rows(checked, template)` opens the one data sheet of a `CheckedFile` (see checks.py), refuses hidden
sheets, macro sheets, merged cells and a second sheet with data, finds the header row (the first row that
is not blank), maps it to the template's fields by name (columns may be in any order) and returns a `Sheet`
whose rows carry the sheet's own row numbers. Cells are Python values as calamine gives them: str, float,
bool, datetime.date / datetime.datetime / datetime.time / timedelta; an empty cell is None.

Hidden sheets and merged cells are refused before parsing, by checks.py; the refusals here are a second
line (free: calamine's metadata and merged ranges come with the workbook and the sheet), with the same
messages, for a file whose XML calamine would read otherwise than those checks do.
"""

import datetime
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import python_calamine

from ..errors import DomainError
from .checks import DAMAGED, CheckedFile, hidden_sheets_message, merged_cells_message


@dataclass(frozen=True)
class Field:
    """One column of a template. `text`: the cell must be text (ID numbers, phones: a number cell has lost
    digits or leading zeros). `aliases`: other headers accepted for this column."""

    key: str
    header: str
    required: bool = False
    text: bool = False
    aliases: tuple[str, ...] = ()


def normalise_header(value) -> str:
    """A header as compared: no whitespace, half-width brackets made full-width, a leading * (required) off."""
    text = re.sub(r"\s+", "", str(value or ""))
    return text.replace("(", "（").replace(")", "）").lstrip("*＊")


def column_letter(index: int) -> str:
    """1 → A, 27 → AA (the spreadsheet's own column names; 1-based)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Template:
    """What an import expects: its title (for messages) and its columns, matched by header."""

    title: str
    fields: tuple[Field, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(f.header for f in self.fields)

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    def match(self, header_row, *, row_number: int = 1) -> dict[str, int]:
        """Field key → 0-based column index; DomainError naming missing (required), unknown and repeated
        columns. An optional column may be left out of the sheet: its cells read as empty."""
        by_header = {}
        for f in self.fields:
            for name in (f.header, *f.aliases):
                by_header[normalise_header(name)] = f
        positions: dict[str, int] = {}
        unexpected, duplicated = [], []
        for index, value in enumerate(header_row):
            header = normalise_header(value)
            if not header:
                continue
            matched = by_header.get(header)
            if matched is None:
                unexpected.append(f"{column_letter(index + 1)}列“{str(value).strip()}”")
            elif matched.key in positions:
                duplicated.append(matched.header)
            else:
                positions[matched.key] = index
        missing = [f.header for f in self.fields if f.required and f.key not in positions]
        if missing or unexpected or duplicated:
            parts = []
            if missing:
                parts.append("缺少列：" + "、".join(f"“{h}”" for h in missing))
            if unexpected:
                parts.append("无法识别的列：" + "、".join(unexpected))
            if duplicated:
                parts.append("重复的列：" + "、".join(f"“{h}”" for h in duplicated))
            raise DomainError(
                f"表头不符合模板（第{row_number}行）：{'；'.join(parts)}。"
                f"模板的列为：{'、'.join(self.headers)}。请下载模板后填写。",
                field="file",
            )
        return positions


@dataclass
class Row:
    """One data row: its number as the user sees it in the sheet, and field key → cell value (None: empty)."""

    number: int
    cells: dict


@dataclass
class Sheet:
    title: str
    header_row: int
    positions: dict  # field key → 0-based column index
    rows: Iterator  # Row, blank rows left out, read once (one Row at a time: memory stays flat)
    # data rows (the header and blank rows not counted) when the sheet is read whole; an estimate for a
    # streamed sheet (rows below the header): the import reports the exact count when every row is read
    total: int = 0
    named: bool = (
        True  # the title is a worksheet's name, shown with each error (not for a pasted list, a CSV)
    )


def cell_text(value) -> str:
    """A cell as the user saw it, as text: whole numbers without ".0", a date as 2026-07-15 (not 46218),
    a date and time as 2026-07-15 08:30, text stripped; None → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if not value.second else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    return str(value).strip()


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _calamine(call, *args):
    """Run a calamine call; anything it raises (its errors, a Rust panic) is a damaged file: a 400."""
    try:
        return call(*args)
    except DomainError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
        raise DomainError(DAMAGED, field="file") from exc


def _range_ref(merged) -> str:
    (r0, c0), (r1, c1) = merged
    return f"{column_letter(c0 + 1)}{r0 + 1}:{column_letter(c1 + 1)}{r1 + 1}"


def _is_blank(values) -> bool:
    """True when every cell is empty or only spaces (a plain loop: it stops at a row's first filled cell)."""
    for value in values:
        if value is None or value == "" or (isinstance(value, str) and not value.strip()):
            continue
        return False
    return True


def _open_workbook(checked: CheckedFile):
    """calamine's workbook of a checked file: from memory, or (a large package) from the re-packed file on
    disk, unlinked as soon as calamine holds it open (nothing is left behind, whatever happens next)."""
    if not checked.path:
        return _calamine(python_calamine.CalamineWorkbook.from_filelike, io.BytesIO(checked.data))
    try:
        return _calamine(python_calamine.CalamineWorkbook.from_path, checked.path)
    finally:
        os.unlink(checked.path)


def _worksheets(checked: CheckedFile):
    """The workbook's worksheets as (metadata, sheet), one at a time, after the refusals of the whole
    workbook (hidden sheets, macros) and each sheet's own (merged cells) — the refusals read_rows and
    read_sheets share. Hidden sheets and merged cells are refused before parsing, by checks.py; here they
    are a second line, free (calamine's metadata is read anyway, the merged ranges come with the sheet)."""
    workbook = _open_workbook(checked)
    metadata = _calamine(lambda: workbook.sheets_metadata)
    hidden = [m.name for m in metadata if m.visible != python_calamine.SheetVisibleEnum.Visible]
    if hidden:
        raise DomainError(hidden_sheets_message(hidden), field="file")
    if any(
        m.typ in (python_calamine.SheetTypeEnum.MacroSheet, python_calamine.SheetTypeEnum.Vba)
        for m in metadata
    ):
        raise DomainError("不接受含宏的工作簿；请另存为普通Excel工作簿（.xlsx）后再导入", field="file")
    for index, meta in enumerate(metadata):
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        sheet = _calamine(workbook.get_sheet_by_index, index)
        merged = _calamine(lambda s=sheet: s.merged_cell_ranges) or []
        if merged:
            raise DomainError(merged_cells_message(meta.name, _range_ref(merged[0])), field="file")
        yield meta, sheet


def _open_data_sheet(checked: CheckedFile):
    with_data = []
    for meta, sheet in _worksheets(checked):
        if sheet.height and sheet.width:
            values = _calamine(sheet.to_python)
            if not all(_is_blank(row) for row in values):
                with_data.append((meta.name, sheet, values))
    if not with_data:
        raise DomainError("工作簿中没有数据", field="file")
    if len(with_data) > 1:
        raise DomainError(
            f"工作簿中有{len(with_data)}个含数据的工作表（{'、'.join(name for name, _, _ in with_data)}），"
            "一次只能导入一个工作表，请把数据放在同一个工作表中",
            field="file",
        )
    return with_data[0]


def read_rows(checked: CheckedFile, template: Template) -> Sheet:
    """The data sheet's header matched to `template` and its non-blank rows (see the module docstring)."""
    title, sheet, values = _open_data_sheet(checked)
    first_row, first_col = sheet.start or (0, 0)
    rows: Iterator = (
        (first_row + offset + 1, row) for offset, row in enumerate(values) if not _is_blank(row)
    )
    header_number, header = next(rows)
    pad = [""] * first_col
    positions = template.match(pad + list(header), row_number=header_number)
    slots = [(f.key, positions[f.key] - first_col if f.key in positions else -1) for f in template.fields]

    present = [(key, index) for key, index in slots if index >= 0]
    absent = [key for key, index in slots if index < 0]
    needed = max(index for _, index in present) + 1

    def data() -> Iterator[Row]:
        for number, row in rows:
            if len(row) >= needed:  # always, in practice: calamine gives every row the sheet's width
                cells = {key: None if (value := row[index]) == "" else value for key, index in present}
            else:
                cells = {
                    key: None if index >= len(row) or row[index] == "" else row[index]
                    for key, index in present
                }
            for key in absent:
                cells[key] = None
            yield Row(number, cells)

    total = sum(1 for row in values if not _is_blank(row)) - 1  # the header is not a data row
    return Sheet(title=title, header_row=header_number, positions=positions, rows=data(), total=total)


TEXT_LIST_MAX_LINES = 5000


def read_text_rows(text: str, template: Template, *, title: str = "粘贴的清单") -> Sheet:
    """A pasted list (one value per line, e.g. receipt codes read by a scanner into a text editor) as a
    Sheet of the template's first column: no header, the row number is the line number, blank lines are
    left out. More than TEXT_LIST_MAX_LINES lines → DomainError (a 400)."""
    lines = str(text or "").splitlines()
    if len(lines) > TEXT_LIST_MAX_LINES:
        raise DomainError(f"清单有{len(lines)}行，一次最多{TEXT_LIST_MAX_LINES}行，请分批导入", field="text")
    key = template.fields[0].key
    others = [f.key for f in template.fields[1:]]

    def data() -> Iterator[Row]:
        for number, line in enumerate(lines, start=1):
            value = line.strip()
            if value:
                yield Row(number, {key: value, **dict.fromkeys(others)})

    return Sheet(title=title, header_row=0, positions={key: 0}, rows=data(), total=len(lines), named=False)


def read_sheets(checked: CheckedFile, template: Template) -> Iterator[Sheet]:
    """Every visible worksheet with data, one at a time, each with the template's header (a workbook of
    several sheets of one list: an .xlsx sheet holds at most 1,048,576 rows). The same refusals as
    read_rows (hidden and macro sheets, merged cells); a sheet whose header does not match is refused with
    its name. Rows come through calamine's `iter_rows`, converted to Python one row at a time."""
    found = False
    for meta, sheet in _worksheets(checked):
        if not (sheet.height and sheet.width):
            continue
        first_row, first_col = sheet.start or (0, 0)
        rows = (
            (first_row + offset + 1, row)
            for offset, row in enumerate(_calamine(sheet.iter_rows))
            if not _is_blank(row)
        )
        header_number, header = next(rows, (0, None))
        if header is None:
            continue
        try:
            positions = template.match([""] * first_col + list(header), row_number=header_number)
        except DomainError as exc:
            raise DomainError(f"工作表“{meta.name}”：{exc.message}", field="file") from None
        found = True
        slots = [(f.key, positions[f.key] - first_col if f.key in positions else -1) for f in template.fields]

        def data(rows=rows, slots=slots) -> Iterator[Row]:
            for number, row in rows:
                width = len(row)
                yield Row(
                    number,
                    {
                        key: None if index < 0 or index >= width or row[index] == "" else row[index]
                        for key, index in slots
                    },
                )

        yield Sheet(
            title=meta.name,
            header_row=header_number,
            positions=positions,
            rows=data(),
            total=max(first_row + sheet.height - header_number, 0),
        )
    if not found:
        raise DomainError("工作簿中没有数据", field="file")
