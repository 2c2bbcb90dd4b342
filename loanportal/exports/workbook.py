"""The one spreadsheet writer (xlsxwriter): formulas off, quote prefix on formula-like text, dates as dates.

Every spreadsheet the portal offers goes through `SafeWorkbook`: the export service's streamed files
(constant-memory mode), the pre-application template and the import error report. Its options switch off
xlsxwriter's conversions (a string never becomes a formula, a number or a link), and `text()` writes a
user's string as a text cell, with the quote prefix when it looks like a formula.
"""

import datetime
import io
from decimal import Decimal

import xlsxwriter

from .cells import clean_text, is_formula_like, local_naive

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, filename: str):
    """A written workbook as a download named `filename` (Chinese names as RFC 5987 UTF-8)."""
    from urllib.parse import quote

    from django.http import HttpResponse

    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_file_response(path, filename: str):
    """A small written export file (an import's error report: bounded by the upload's size limit) as an
    attachment, never cached."""
    from pathlib import Path

    response = xlsx_response(Path(path).read_bytes(), filename)
    response["Cache-Control"] = "no-store"
    return response


# No implicit conversion: only the typed methods decide what a cell is.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,
}


class SafeWorkbook:
    """An xlsxwriter workbook with the portal's cell formats; `close()` returns the bytes (or writes `path`)."""

    def __init__(self, path=None, *, constant_memory: bool = False):
        self._buffer = None if path else io.BytesIO()
        options = dict(WORKBOOK_OPTIONS, constant_memory=constant_memory)
        if path is None:
            options["in_memory"] = True
        self.book = xlsxwriter.Workbook(path or self._buffer, options)
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.text_format = self.book.add_format({"num_format": "@"})
        self.quoted_text = self.book.add_format({"num_format": "@", "quote_prefix": True})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.money = self.book.add_format({"num_format": "#,##0.00"})
        self.integer = self.book.add_format({"num_format": "0"})
        self.header = self.book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "valign": "vcenter"}
        )

    def add_sheet(self, name: str):
        return self.book.add_worksheet(name[:31])

    def add_format(self, spec: dict):
        return self.book.add_format(spec)

    def text(self, sheet, row: int, col: int, value, cell_format=None) -> None:
        """A text cell from (possibly hostile) user data: never a formula (quote prefix when it looks like one)."""
        if value is None or value == "":
            sheet.write_blank(row, col, None, cell_format)
            return
        value = clean_text(value)
        if is_formula_like(value):
            cell_format = self.quoted_text if cell_format is self.text_format else self.quoted
        sheet.write_string(row, col, value, cell_format)

    def value(self, sheet, row: int, col: int, value, cell_format=None) -> None:
        """Any Python value by its type: numbers as numbers, dates as dates, everything else as text."""
        if value is None:
            sheet.write_blank(row, col, None, cell_format)
        elif isinstance(value, bool):
            sheet.write_string(row, col, "是" if value else "否", cell_format)
        elif isinstance(value, (int, float, Decimal)):
            sheet.write_number(row, col, value, cell_format)
        elif isinstance(value, datetime.datetime):
            sheet.write_datetime(row, col, local_naive(value), cell_format or self.datetime)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, col, value, cell_format or self.date)
        else:
            self.text(sheet, row, col, value, cell_format)

    def close(self) -> bytes | None:
        self.book.close()
        return self._buffer.getvalue() if self._buffer is not None else None
