"""The streaming export writer: rows from a server-side cursor into an xlsxwriter workbook in
constant-memory mode (each row goes to disk as soon as the next one starts), so memory stays flat
whatever the row count.

Per column kind: numbers and money as numbers, dates and datetimes as dates (Asia/Shanghai, no zone),
ID numbers and phones as text cells (masked unless the approval covers full numbers), any other text
through the formula guard. The watermark (requester, approver, time, request number) is in every page's
header and footer and on a hidden sheet.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from loanportal.rules import mask_id_number, mask_phone

from .cells import FORMULA_PREFIXES, clean_text, local_naive
from .registry import BOOLEAN, DATE, DATETIME, ID_NUMBER, INTEGER, MONEY, PHONE, ExportDefinition
from .workbook import SafeWorkbook

PROGRESS_EVERY = 5000
_PREFIXES = frozenset(FORMULA_PREFIXES)


@dataclass(frozen=True)
class Watermark:
    number: str
    title: str
    requester: str
    approver: str
    generated_at: datetime.datetime
    purpose: str = ""
    filters: str = ""
    organisation: str = ""
    approved_rows: int | None = None  # the count the requester saw and the approver approved

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("导出编号", self.number),
            ("表名", self.title),
            ("筛选条件", self.filters),
            ("用途", self.purpose),
            ("申请人", self.requester),
            ("申请机构", self.organisation),
            ("审批人", self.approver),
            ("生成时间", f"{local_naive(self.generated_at):%Y-%m-%d %H:%M:%S}"),
        ]


def _header_text(value: str) -> str:
    # "&" starts a control code in Excel headers; user text must not inject one.
    return clean_text(value).replace("&", "&&")[:60]


def write_export(
    definition: ExportDefinition,
    rows: Iterable,
    *,
    path,
    watermark: Watermark,
    full_numbers: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `rows` (tuples in the definition's column order) to an .xlsx file at `path`; return the count.
    A definition with a `layout` (a small form laid out like the paper one) writes its own sheet; `rows`
    is then the (user, params) pair the layout reads."""
    book = SafeWorkbook(path, constant_memory=definition.layout is None)
    sheet = book.add_sheet(definition.title)
    stamp = f"{local_naive(watermark.generated_at):%Y-%m-%d %H:%M}"
    sheet.set_header(
        f"&L导出人：{_header_text(watermark.requester)}&C{_header_text(watermark.title)}"
        f"&R审批人：{_header_text(watermark.approver)}"
    )
    sheet.set_footer(f"&L导出编号：{watermark.number}&C{stamp}&R第 &P 页，共 &N 页")
    if definition.layout is not None:
        user, params = rows
        count = definition.layout(book, sheet, user=user, params=params, full_numbers=full_numbers)
        for extra in book.book.worksheets()[1:]:  # the form's other sheets carry the same watermark
            extra.set_header(sheet.header)
            extra.set_footer(sheet.footer)
        _info_sheet(book, watermark, count)
        book.close()
        if progress is not None:
            progress(count)
        return count
    for index, column in enumerate(definition.columns):
        cell_format = {
            DATE: book.date,
            DATETIME: book.datetime,
            MONEY: book.money,
            ID_NUMBER: book.text_format,
            PHONE: book.text_format,
        }.get(column.kind)
        sheet.set_column(index, index, column.width, cell_format)
    for index, header in enumerate(definition.headers):
        sheet.write_string(0, index, header, book.header)
    sheet.freeze_panes(1, 0)

    count = _stream_rows(book, sheet, definition, rows, full_numbers=full_numbers, progress=progress)
    if count:
        sheet.autofilter(0, 0, count, len(definition.columns) - 1)

    _info_sheet(book, watermark, count)
    book.close()
    if progress is not None:
        progress(count)
    return count


def _info_sheet(book: SafeWorkbook, watermark: Watermark, count: int) -> None:
    info = book.add_sheet("导出信息")
    info.set_column(0, 0, 12)
    info.set_column(1, 1, 60)
    lines = [*watermark.lines(), ("行数", str(count))]
    if watermark.approved_rows is not None:
        lines.append(("申请及审批时行数", str(watermark.approved_rows)))
        if watermark.approved_rows != count:
            lines.append(("说明", "文件行数与审批时不同：生成前数据已有变动（如状态变更），以本文件为准"))
    for row, (label, value) in enumerate(lines):
        info.write_string(row, 0, label)
        book.text(info, row, 1, value)
    info.hide()


# --- the data rows -----------------------------------------------------------------------------------------
#
# xlsxwriter's per-cell API costs ~10 µs a cell (dimension checks, a cell object, attribute escaping for
# each cell); a 300,000 × 25 export spends nearly all its time there. In constant-memory mode xlsxwriter
# streams each finished row's XML to a temporary file (`worksheet.fh`) and keeps nothing else of it, so
# the data rows are written to that same stream as ready-made row XML — the same XML xlsxwriter writes
# (inline strings, style indexes of the workbook's own formats) — and the worksheet is told the last
# row and column for its dimension. xlsxwriter still writes the package, styles, header/footer, column
# widths, frozen header, autofilter and the watermark sheet. Checked by tests/test_exports.py (XML
# level) and readable by openpyxl; pinned to xlsxwriter 3.x in pyproject.toml.

_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_EXCEL_EPOCH_DATE = datetime.date(1899, 12, 30)
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "_x000D_"})
_NEEDS_ESCAPE = frozenset("&<>\r")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text_xml(value: str, style: int, quoted: int):
    """The inline-string cell body for user text: formula-like text gets the quote-prefix style."""
    if not value.isprintable():
        value = clean_text(value)
        if not value:
            return None
    if value[0] in _PREFIXES:
        style = quoted
    if not _NEEDS_ESCAPE.isdisjoint(value):
        value = value.translate(_XML_ESCAPES)
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f' s="{style}" t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _cell_bodies(book: SafeWorkbook, definition: ExportDefinition, full_numbers: bool) -> list:
    """Per column: value → the cell XML after `<c r="A1"` (or None for an empty cell)."""
    xf = {
        name: getattr(book, name)._get_xf_index()
        for name in ("quoted", "quoted_text", "text_format", "date", "datetime", "money")
    }
    bodies = []
    for column in definition.columns:
        kind = column.kind
        if kind in (ID_NUMBER, PHONE):
            mask = None if full_numbers else (mask_id_number if kind == ID_NUMBER else mask_phone)

            def body(value, mask=mask, style=xf["text_format"], quoted=xf["quoted_text"]):
                value = value if value.__class__ is str else str(value)
                if mask is not None:
                    value = mask(value)
                return _text_xml(value, style, quoted) if value else None

        elif kind in (INTEGER, MONEY):
            style = f' s="{xf["money"]}"' if kind == MONEY else ""

            def body(value, style=style, quoted=xf["quoted"]):
                if isinstance(value, bool):
                    return _text_xml("是" if value else "否", 0, quoted)
                if isinstance(value, (int, float, Decimal)):
                    return f"{style}><v>{value}</v></c>"
                text = str(value)
                return _text_xml(text, 0, quoted) if text else None

        elif kind in (DATE, DATETIME):

            def body(
                value, d=xf["date"], dt=xf["datetime"], datetime_kind=kind == DATETIME, quoted=xf["quoted"]
            ):
                if isinstance(value, datetime.datetime):
                    delta = local_naive(value) - _EXCEL_EPOCH
                    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
                    return f' s="{dt if datetime_kind else d}"><v>{serial!r}</v></c>'
                if isinstance(value, datetime.date):
                    return f' s="{d}"><v>{(value - _EXCEL_EPOCH_DATE).days}</v></c>'
                return _text_xml(str(value), 0, quoted) if str(value) else None

        elif kind == BOOLEAN:

            def body(value):
                return (
                    ' t="inlineStr"><is><t>是</t></is></c>'
                    if value
                    else ' t="inlineStr"><is><t>否</t></is></c>'
                )

        else:

            def body(value, quoted=xf["quoted"]):
                value = value if value.__class__ is str else str(value)
                return _text_xml(value, 0, quoted) if value else None

        bodies.append(body)
    return bodies


def _stream_rows(book, sheet, definition, rows, *, full_numbers, progress) -> int:
    """Write the data rows (sheet rows 2…) straight into the worksheet's constant-memory stream."""
    if not sheet.constant_memory:  # pragma: no cover - the export writer always opens it so
        raise ValueError("the streamed rows need a constant-memory worksheet")
    sheet._write_single_row(1)  # flush the header row; the worksheet now waits for row index 1
    bodies = _cell_bodies(book, definition, full_numbers)
    letters = [_column_letter(i) for i in range(len(bodies))]
    columns = list(zip(letters, bodies, strict=True))
    write = sheet.fh.write
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007  (count is the result)
        number = str(count + 1)
        cells = []
        for (letter, body), value in zip(columns, row, strict=False):
            if value is None:
                continue
            xml = body(value)
            if xml is not None:
                cells.append(f'<c r="{letter}{number}"{xml}')
        write(f'<row r="{number}">{"".join(cells)}</row>')
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if count:
        sheet.previous_row = count
        sheet._check_dimensions(count, len(bodies) - 1)
    return count
