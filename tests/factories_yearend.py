"""Helpers for the loan year's close (issue 13): applications in county 1, a bank status spreadsheet."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import valid_id
from tests.factories_lifecycle import make_application, open_calendar

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BANK_DAY = datetime.date(2026, 11, 10)
CONFIRM_DAY = datetime.date(2026, 10, 8)
ARCHIVE_DAY = datetime.date(2027, 3, 1)
BANK_HEADERS = [
    "合同号",
    "学生姓名",
    "审批结果",
    "贷款金额（元）",
    "划入高校金额（元）",
    "划入学生金额（元）",
    "放款日期",
    "不通过原因",
]


def new_student(n: int, name: str = "") -> dict:
    """A new county-1 student (distinct ID by birth day)."""
    return {"name": name or f"学生{n}", "id_number": valid_id("620123", f"200703{n:02d}")}


def applications_in(world, state: str, count: int, *, start: int = 1, **kwargs) -> list:
    open_calendar(2026)
    return [make_application(world, to=state, student=new_student(start + i), **kwargs) for i in range(count)]


def bank_file(rows: list[list], *, name: str = "银行审批放款.xlsx", headers=None) -> SimpleUploadedFile:
    """An .xlsx with the bank template's headers and these rows (numbers stay numbers, text stays text)."""
    from loanportal.exports.workbook import SafeWorkbook

    book = SafeWorkbook()
    sheet = book.add_sheet("Sheet1")
    for col, header in enumerate(headers or BANK_HEADERS):
        book.text(sheet, 0, col, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int):
                book.value(sheet, r, c, value)
            else:
                book.text(sheet, r, c, str(value))
    return SimpleUploadedFile(name, io.BytesIO(book.close()).getvalue(), content_type=XLSX)


def extend(world, code: str, organisation, *, year: int = 2026, days: int = 30):
    """Extend a key date for an organisation past today (pages and API act today)."""
    from django.utils import timezone

    from deadlines.services import key_date_extend, key_date_get

    open_calendar(year)
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get(code, year=year),
        organisation=organisation,
        end_date=timezone.localdate() + datetime.timedelta(days=days),
        reason="测试：延期",
    )
