"""The relief measures' forms as sheets laid out like the paper ones, through the export path's `layout`
hook (loanportal/exports: a definition's layout(book, sheet, *, user, params) writes its own sheet).

`form_layout(...)` turns a column list and a row source into such a writer: the title merged over all
columns, a caption line (填报单位、日期), header cells grouped under merged labels (label, first column,
last column — 0-based) with the other headers merged over both header rows, the data rows (ID numbers
and phones masked unless the approval covers full numbers, text through the formula guard), and signature lines under the data."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from loanportal.exports.registry import DATE, ID_NUMBER, INTEGER, MONEY, PHONE, ExportDefinition
from loanportal.rules import mask_id_number, mask_phone, mask_text


@dataclass(frozen=True)
class FormLayout:
    caption: str = ""
    groups: tuple[tuple[str, int, int], ...] = ()
    signatures: tuple[str, ...] = ()


def form_layout(layout: FormLayout, columns, rows, *, title: str):
    """A layout writer for `columns` (registry.Column) and `rows(user=, params=)` → tuples."""

    def write(book, sheet, *, user, params, full_numbers: bool = False) -> int:
        last = len(columns) - 1
        title_format = book.add_format(
            {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
        )
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        sheet.set_row(0, 30)
        sheet.merge_range(0, 0, 0, last, title, title_format)
        top = 1
        if layout.caption:
            sheet.merge_range(1, 0, 1, last, layout.caption, book.add_format({"align": "left"}))
            top = 2
        grouped = {col: group for group in layout.groups for col in range(group[1], group[2] + 1)}
        if grouped:
            for label, first, end in layout.groups:
                if end > first:
                    sheet.merge_range(top, first, top, end, label, book.header)
                else:
                    sheet.write_string(top, first, label, book.header)
            for col, column in enumerate(columns):
                if col in grouped:
                    sheet.write_string(top + 1, col, column.header, book.header)
                else:
                    sheet.merge_range(top, col, top + 1, col, column.header, book.header)
            header_row = top + 1
        else:
            for col, column in enumerate(columns):
                sheet.write_string(top, col, column.header, book.header)
            header_row = top
        sheet.freeze_panes(header_row + 1, 0)
        count = 0
        for count, row in enumerate(rows(user=user, params=params), start=1):  # noqa: B007
            for col, (column, value) in enumerate(zip(columns, row, strict=False)):
                _cell(book, sheet, header_row + count, col, column.kind, value, full_numbers)
        if count:
            sheet.autofilter(header_row, 0, header_row + count, last)
        if layout.signatures:
            step = max(1, len(columns) // len(layout.signatures))
            for index, text in enumerate(layout.signatures):
                sheet.write_string(header_row + count + 2, min(index * step, last), text)
        return count

    return write


def _cell(book, sheet, row: int, col: int, kind: str, value, full_numbers: bool = False) -> None:
    """One cell; ID numbers and phones masked unless the export's approval covers full numbers (the
    manager who approved the request agreed to them, as for every other export)."""
    if value is None or value == "":
        return
    if kind == ID_NUMBER:
        text = str(value) if full_numbers else mask_id_number(str(value))
        book.text(sheet, row, col, text, book.text_format)
    elif kind == PHONE:
        book.text(sheet, row, col, str(value) if full_numbers else mask_phone(str(value)), book.text_format)
    elif kind in (INTEGER, MONEY) and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        book.value(sheet, row, col, value, book.money if kind == MONEY else None)
    elif kind == DATE and isinstance(value, datetime.date):
        book.value(sheet, row, col, value, book.date)
    else:
        # Free text (申请理由, 公示内容, …) may hold a number someone typed: masked like the number columns.
        book.text(sheet, row, col, str(value) if full_numbers else mask_text(str(value)))


def form_definition(**kwargs) -> ExportDefinition:
    """An export definition whose sheet is laid out like the paper form: `layout` is a FormLayout."""
    form = kwargs.pop("layout")
    return ExportDefinition(
        **kwargs, layout=form_layout(form, kwargs["columns"], kwargs["rows"], title=kwargs["title"])
    )


def param_int(params, name):
    """A whole-number export parameter (a batch or summary pk), else None."""
    value = str(params.get(name, "") or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None
