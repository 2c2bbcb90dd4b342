"""The pre-application list's template and import error report (首贷预申请名单, notice 三(六)), written
through the one safe writer: a student's name `=HYPERLINK(...)` in the report stays text."""

from .workbook import SafeWorkbook

HEADER_FILL = "#DDEBF7"


def template_workbook(*, county_code: str = "620123") -> bytes:
    """The downloadable template: Chinese headers, one example row, a dropdown of the six bases."""
    from applications.rules.preapplications import BASIS_LABELS, COLUMNS, COUNTY_HEADER, EXAMPLE_ROW

    book = SafeWorkbook()
    sheet = book.add_sheet("预申请名单")
    headers = [c.header for c in COLUMNS]
    example = list(EXAMPLE_ROW)
    example[headers.index(COUNTY_HEADER)] = county_code
    example_format = book.add_format({"font_color": "#808080", "italic": True})
    example_text = book.add_format({"font_color": "#808080", "italic": True, "num_format": "@"})
    for index, column in enumerate(COLUMNS):
        header_format = book.add_format(
            {"bold": True, "bg_color": HEADER_FILL, "align": "center"}
            | {"font_color": "#C00000" if column.required else "#000000"}
        )
        book.text(sheet, 0, index, column.header, header_format)
        sheet.write_comment(
            0, index, ("必填。" if column.required else "选填。") + column.hint, {"author": "助学贷款平台"}
        )
        as_text = column.key in ("id_number", "phone", "county")
        # Text format on the whole column, so Excel keeps all 18 digits and leading zeros.
        sheet.set_column(index, index, column.width, book.text_format if as_text else None)
        book.text(sheet, 1, index, example[index], example_text if as_text else example_format)
    basis_col = [c.key for c in COLUMNS].index("basis")
    sheet.data_validation(
        1,
        basis_col,
        4999,
        basis_col,
        {
            "validate": "list",
            "source": list(BASIS_LABELS),
            "ignore_blank": False,
            "error_title": "预申请依据",
            "error_message": "请从下拉列表中选择六类依据之一",
        },
    )
    sheet.freeze_panes(1, 0)
    return book.close()


def error_report_workbook(errors: list[dict]) -> bytes:
    """The error report as a spreadsheet: one line per problem, in the uploaded sheet's row numbers."""
    book = SafeWorkbook()
    sheet = book.add_sheet("错误说明")
    headers = ["行号", "列", "列名", "姓名", "错误说明"]
    for index, (header, width) in enumerate(zip(headers, (8, 6, 26, 14, 80), strict=True)):
        book.text(sheet, 0, index, header, book.header)
        sheet.set_column(index, index, width)
    for number, error in enumerate(errors, start=1):
        row = error.get("row")
        book.value(
            sheet, number, 0, row if isinstance(row, int) and not isinstance(row, bool) else row or None
        )
        for index, key in enumerate(("column", "header", "name", "message"), start=1):
            book.text(sheet, number, index, error.get(key) or "")
    sheet.freeze_panes(1, 0)
    return book.close()
