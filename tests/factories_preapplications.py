"""Spreadsheets for the pre-application tests, generated with openpyxl (no binary fixtures)."""

import io
import itertools
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from applications.rules.preapplications import HEADERS
from loanportal.demo import make_id_number

_seq = itertools.count(300)


def student_id(area: str = "620123", birth: str = "20080315") -> str:
    return make_id_number(area, birth, next(_seq) % 1000)


def good_row(county_code: str = "620123", **overrides) -> list:
    values = {
        "姓名": "李明",
        "身份证号": student_id(county_code),
        "预申请依据": "城乡低保户",
        "生源地（县区代码或名称）": county_code,
        "高中学校": "榆中县第一中学",
        "联系电话": "13812345678",
        "备注": "",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def workbook_bytes(rows, *, headers=HEADERS, extra=None) -> bytes:
    """An xlsx with `headers` in row 1 and `rows` below; `extra(workbook)` may alter it before saving."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    if extra:
        extra(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "名单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def as_excel_writes_it(content: bytes, *, rich_text_for: str | None = None) -> bytes:
    """Rewrite openpyxl's inline strings as Excel and WPS write them: a shared-string table
    (xl/sharedStrings.xml) referenced by index; `rich_text_for` is stored as two formatted runs plus a
    phonetic run (which is not part of the value)."""
    import re
    from xml.sax.saxutils import escape

    source = zipfile.ZipFile(io.BytesIO(content))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    table: list[str] = []

    def shared(match):
        text = match.group(2)
        table.append(text)
        return f'<c r="{match.group(1)}" t="s"><v>{len(table) - 1}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>(.*?)</t></is></c>', shared, sheet)
    items = []
    for text in table:
        if rich_text_for is not None and text == escape(rich_text_for):
            half = len(text) // 2
            items.append(
                f"<si><r><rPr><b/></rPr><t>{text[:half]}</t></r><r><t>{text[half:]}</t></r>"
                f'<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>'
            )
        else:
            items.append(f"<si><t>{text}</t></si>")
    strings = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(table)}" uniqueCount="{len(table)}">' + "".join(items) + "</sst>"
    )
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    members["xl/sharedStrings.xml"] = strings.encode()
    return zip_bytes(members)
