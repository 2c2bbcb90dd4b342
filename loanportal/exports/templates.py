"""Import templates (导入模板) written through the one safe writer: the template's Chinese headers (required
ones in red, a hint as the header's comment), its text columns formatted as text so Excel keeps every digit
and leading zero, and example rows typed — amounts and years as numbers, dates as dates, text as text
(quote prefix on formula-like text, never a formula).

The pre-application and bank-status templates have their own layouts (dropdowns) in preapplications.py and
bankstatus.py; every other import's template is written here.
"""

import datetime
from decimal import Decimal

from .workbook import SafeWorkbook

HEADER_FILL = "#DDEBF7"
EXAMPLE_COLOUR = "#808080"


def import_template_workbook(
    *,
    title: str,
    fields,
    rows: list[list] = (),
    hints: dict[str, str] | None = None,
    widths: dict[str, int] | None = None,
    header_row: bool = True,
    grey_rows: bool = True,
) -> bytes:
    """A workbook of one sheet `title`: the header of `fields` (loanportal.imports.Field) then `rows`, each
    value written by its type (Decimal/int/float → number, date → date, str → text)."""
    hints = hints or {}
    widths = widths or {}
    book = SafeWorkbook()
    sheet = book.add_sheet(title)
    grey = {"font_color": EXAMPLE_COLOUR, "italic": True} if grey_rows else {}
    formats = {
        "text": book.add_format({**grey, "num_format": "@"}),
        "money": book.add_format({**grey, "num_format": "0.00"}),
        "number": book.add_format({**grey, "num_format": "0"}) if grey else None,
        "date": book.add_format({**grey, "num_format": "yyyy-mm-dd"}),
        "other": book.add_format(grey) if grey else None,
    }
    for index, field in enumerate(fields):
        if header_row:
            header_format = book.add_format(
                {"bold": True, "bg_color": HEADER_FILL, "align": "center", "border": 1}
                | {"font_color": "#C00000" if field.required else "#000000"}
            )
            book.text(sheet, 0, index, field.header, header_format)
            if field.key in hints:
                sheet.write_comment(
                    0,
                    index,
                    ("必填。" if field.required else "选填。") + hints[field.key],
                    {"author": "助学贷款平台"},
                )
        # Text format on the whole column, so what a clerk types there stays text (all 18 digits).
        sheet.set_column(index, index, widths.get(field.key, 18), book.text_format if field.text else None)
    first = 1 if header_row else 0
    for offset, row in enumerate(rows):
        for index, (field, value) in enumerate(zip(fields, row, strict=False)):
            _example_cell(book, sheet, first + offset, index, field, value, formats)
    if header_row:
        sheet.freeze_panes(1, 0)
    return book.close()


def _example_cell(book: SafeWorkbook, sheet, row: int, col: int, field, value, formats: dict) -> None:
    if isinstance(value, str) or value is None:
        book.text(sheet, row, col, value, formats["text"] if field.text else formats["other"])
    elif isinstance(value, Decimal):
        book.value(sheet, row, col, value, formats["money"])
    elif isinstance(value, datetime.date):
        book.value(sheet, row, col, value, formats["date"])
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        book.value(sheet, row, col, value, formats["number"])
    else:
        book.value(sheet, row, col, value, formats["other"])
