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
    """Write `rows` (tuples in the definition's column order) to an .xlsx file at `path`; return the count."""
    book = SafeWorkbook(path, constant_memory=True)
    sheet = book.add_sheet(definition.title)
    stamp = f"{local_naive(watermark.generated_at):%Y-%m-%d %H:%M}"
    sheet.set_header(
        f"&L导出人：{_header_text(watermark.requester)}&C{_header_text(watermark.title)}"
        f"&R审批人：{_header_text(watermark.approver)}"
    )
    sheet.set_footer(f"&L导出编号：{watermark.number}&C{stamp}&R第 &P 页，共 &N 页")
    writers = []
    for index, column in enumerate(definition.columns):
        cell_format = {
            DATE: book.date,
            DATETIME: book.datetime,
            MONEY: book.money,
            ID_NUMBER: book.text_format,
            PHONE: book.text_format,
        }.get(column.kind)
        sheet.set_column(index, index, column.width, cell_format)
        writers.append(_cell_writer(book, sheet, column.kind, full_numbers))
    for index, header in enumerate(definition.headers):
        sheet.write_string(0, index, header, book.header)
    sheet.freeze_panes(1, 0)

    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007  (count is the result)
        for col, value in enumerate(row):
            if value is not None:
                writers[col](count, col, value)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if count:
        sheet.autofilter(0, 0, count, len(definition.columns) - 1)

    info = book.add_sheet("导出信息")
    info.set_column(0, 0, 12)
    info.set_column(1, 1, 60)
    for row, (label, value) in enumerate([*watermark.lines(), ("行数", str(count))]):
        info.write_string(row, 0, label)
        book.text(info, row, 1, value)
    info.hide()
    book.close()
    if progress is not None:
        progress(count)
    return count


def _cell_writer(book: SafeWorkbook, sheet, kind: str, full_numbers: bool):
    write_string, write_number = sheet.write_string, sheet.write_number
    quoted, quoted_text, text_format = book.quoted, book.quoted_text, book.text_format

    def text(row, col, value, _fmt=None):
        if value.__class__ is not str:
            value = str(value)
        if not value:
            return
        if not value.isprintable():
            value = clean_text(value)
            if not value:
                return
        if value[0] in _PREFIXES:
            write_string(row, col, value, quoted_text if _fmt is text_format else quoted)
        else:
            write_string(row, col, value, _fmt)

    if kind in (ID_NUMBER, PHONE):
        mask = None if full_numbers else (mask_id_number if kind == ID_NUMBER else mask_phone)

        def number_text(row, col, value):
            text(row, col, mask(value) if mask else value, text_format)

        return number_text
    if kind in (INTEGER, MONEY):
        money = book.money if kind == MONEY else None

        def number(row, col, value):
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                write_number(row, col, value, money)
            else:
                text(row, col, value)

        return number
    if kind in (DATE, DATETIME):
        write_datetime, date_format, datetime_format = sheet.write_datetime, book.date, book.datetime

        def when(row, col, value):
            if isinstance(value, datetime.datetime):
                write_datetime(
                    row, col, local_naive(value), datetime_format if kind == DATETIME else date_format
                )
            elif isinstance(value, datetime.date):
                write_datetime(row, col, value, date_format)
            else:
                text(row, col, value)

        return when
    if kind == BOOLEAN:

        def yes_no(row, col, value):
            write_string(row, col, "是" if value else "否")

        return yes_no
    return text
