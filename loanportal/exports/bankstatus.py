"""The bank status spreadsheet's template (银行审批放款情况), through the one safe writer."""

from .workbook import SafeWorkbook

HEADER_FILL = "#DDEBF7"
HINTS = {
    "contract_number": "合同号（文本格式，与平台受理证明上的一致）",
    "student_name": "借款学生姓名，用于核对",
    "result": "审批通过 / 审批不通过 / 已放款",
    "loan_amount": "银行合同金额，整数元，须与平台签约金额一致",
    "to_university": "已放款时填写：划入高校收费账户的金额",
    "to_student": "已放款时填写：余额划入学生账户的金额（可为0）",
    "disbursed_on": "已放款时填写，如2026-11-15",
    "reason": "审批不通过时填写原因",
}
EXAMPLE = {
    "contract_number": "示例：2026620123000001",
    "student_name": "示例：张三",
    "result": "已放款",
    "loan_amount": 6200,
    "to_university": 6200,
    "to_student": 0,
    "disbursed_on": "2026-11-15",
    "reason": "",
}


def bank_status_template_workbook() -> bytes:
    from applications.services.yearend import BANK_IMPORT_TEMPLATE

    book = SafeWorkbook()
    sheet = book.add_sheet("银行审批放款情况")
    example_format = book.add_format({"font_color": "#808080", "italic": True})
    for index, field in enumerate(BANK_IMPORT_TEMPLATE.fields):
        header_format = book.add_format(
            {"bold": True, "bg_color": HEADER_FILL, "align": "center"}
            | {"font_color": "#C00000" if field.required else "#000000"}
        )
        book.text(sheet, 0, index, field.header, header_format)
        sheet.write_comment(
            0,
            index,
            ("必填。" if field.required else "选填。") + HINTS[field.key],
            {"author": "助学贷款平台"},
        )
        sheet.set_column(index, index, 20, book.text_format if field.text else None)
        value = EXAMPLE[field.key]
        if isinstance(value, int):
            book.value(sheet, 1, index, value, example_format)
        else:
            book.text(sheet, 1, index, value, example_format)
    result_col = [f.key for f in BANK_IMPORT_TEMPLATE.fields].index("result")
    sheet.data_validation(
        1,
        result_col,
        9999,
        result_col,
        {"validate": "list", "source": ["审批通过", "审批不通过", "已放款"], "error_title": "审批结果"},
    )
    sheet.freeze_panes(1, 0)
    return book.close()
