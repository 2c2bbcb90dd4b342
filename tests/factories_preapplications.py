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
