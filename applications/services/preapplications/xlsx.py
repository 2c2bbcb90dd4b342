"""The pre-application spreadsheet: refuse a bad file before parsing, read rows fast, write the template and
the error report (首贷预申请名单导入, notice 三(六)).

Order of the file checks, each cheaper than the next and none trusting the file: upload size → zip magic →
central directory (declared sizes: the zip-bomb guard, before any member is inflated; Python's zipfile never
inflates a member past its declared size) → [Content_Types].xml says xlsx → worksheet XML scanned for merged
and formula cells → openpyxl (read_only) for sheet visibility and the rows.
"""

import io
import re
import zipfile
from collections.abc import Iterator

from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from loanportal.errors import DomainError

from ...rules.preapplications import BASIS_LABELS, COLUMNS, COUNTY_HEADER, EXAMPLE_ROW, is_blank_row

XLSX_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
ZIP_MAGIC = b"PK\x03\x04"
NOT_XLSX = "文件不是Excel 2007及以上版本的 .xlsx 工作簿（可能是改了扩展名的其他文件）；请在Excel或WPS中“另存为”.xlsx后再导入"

_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z0-9:]+)\"")
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF_RE = re.compile(rb"<(?:\w+:)?c\b[^>]*\br=\"([A-Z]+[0-9]+)\"")
_WORKSHEET_RE = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, refusing one larger than settings.UPLOAD_MAX_BYTES without reading it all."""
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise DomainError(f"文件过大（{_megabytes(size)}），上传上限为 {_megabytes(limit)}", field="file")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(f"文件过大，上传上限为 {_megabytes(limit)}", field="file")
    if not data:
        raise DomainError("上传的文件是空的", field="file")
    return data


def check_package(data: bytes) -> None:
    """Refuse anything that is not a plain, single-sheet xlsx before openpyxl touches it."""
    if not data.startswith(ZIP_MAGIC):
        raise DomainError(NOT_XLSX, field="file")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DomainError(NOT_XLSX, field="file") from exc
    limit = settings.XLSX_MAX_UNCOMPRESSED_BYTES
    declared = sum(info.file_size for info in members)
    if declared > limit:
        raise DomainError(
            f"文件解压后为 {_megabytes(declared)}，超过上限 {_megabytes(limit)}（可能是异常或被构造的文件），已拒绝",
            field="file",
        )
    names = {info.filename for info in members}
    if "[Content_Types].xml" not in names:
        raise DomainError(NOT_XLSX, field="file")
    content_types = package.read("[Content_Types].xml")
    if MACRO_TYPE in content_types:
        raise DomainError("不接受含宏的工作簿（.xlsm），请另存为普通 .xlsx 后再导入", field="file")
    if XLSX_MAIN_TYPE not in content_types:
        raise DomainError(NOT_XLSX, field="file")
    for name in sorted(n for n in names if _WORKSHEET_RE.match(n)):
        _check_sheet_xml(package.read(name))


def _check_sheet_xml(xml: bytes) -> None:
    merged = _MERGE_RE.search(xml)
    if merged:
        raise DomainError(
            f"工作表中有合并单元格（如 {merged.group(1).decode()}），请取消合并、每行一名学生后再导入",
            field="file",
        )
    formula = _FORMULA_RE.search(xml)
    if formula:
        cells = _CELL_REF_RE.findall(xml, 0, formula.start())
        where = f"（如 {cells[-1].decode()} 单元格）" if cells else ""
        raise DomainError(
            f"工作表中有公式{where}；名单只接受直接填写的值，请把公式“复制—选择性粘贴为数值”后再导入",
            field="file",
        )


def _has_values(sheet) -> bool:
    return any(not is_blank_row(row) for row in sheet.iter_rows(values_only=True))


def open_rows(data: bytes) -> tuple[tuple, Iterator[tuple[int, tuple]]]:
    """Check the package, then return (header row, iterator of (sheet row number, values)) of the one sheet."""
    check_package(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged packages
        raise DomainError("文件已损坏，无法作为 .xlsx 工作簿打开", field="file") from exc
    sheets = list(workbook.worksheets) + list(getattr(workbook, "chartsheets", []))
    hidden = [s.title for s in sheets if s.sheet_state != "visible"]
    if hidden:
        raise DomainError(
            f"工作簿含有隐藏的工作表：{'、'.join(hidden)}。隐藏内容无法核对，请删除隐藏工作表后再导入",
            field="file",
        )
    with_data = [s for s in workbook.worksheets if _has_values(s)]
    if len(with_data) != 1:
        if not with_data:
            raise DomainError("工作簿中没有数据", field="file")
        raise DomainError(
            f"工作簿中有{len(with_data)}个含数据的工作表（{'、'.join(s.title for s in with_data)}），"
            "一次只能导入一个工作表，请把名单放在同一个工作表中",
            field="file",
        )
    rows = with_data[0].iter_rows(values_only=True)
    header = next(rows, ())
    return tuple(header), ((number, row) for number, row in enumerate(rows, start=2))


HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def template_workbook(*, county_code: str = "620123") -> bytes:
    """The downloadable template: Chinese headers, one example row, a dropdown of the six bases."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "预申请名单"
    sheet.append([c.header for c in COLUMNS])
    example = list(EXAMPLE_ROW)
    example[[c.header for c in COLUMNS].index(COUNTY_HEADER)] = county_code
    sheet.append(example)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        note = ("必填。" if column.required else "选填。") + column.hint
        cell.comment = Comment(note, "助学贷款平台")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = column.width
        if column.key in ("id_number", "phone", "county"):
            for row in range(2, 2001):  # text format, so Excel keeps all 18 digits and leading zeros
                sheet.cell(row=row, column=index).number_format = "@"
    for cell in sheet[2]:
        cell.font = Font(color="808080", italic=True)
    basis_col = [c.key for c in COLUMNS].index("basis") + 1
    letter = sheet.cell(row=1, column=basis_col).column_letter
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(BASIS_LABELS) + '"',
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="预申请依据",
        error="请从下拉列表中选择六类依据之一",
    )
    validation.add(f"{letter}2:{letter}5000")
    sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_report_workbook(errors: list[dict]) -> bytes:
    """The error report as a spreadsheet: one line per problem, in the uploaded sheet's row numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "错误说明"
    headers = ["行号", "列", "列名", "姓名", "错误说明"]
    sheet.append(headers)
    for error in errors:
        sheet.append(
            [
                error.get("row") or "",
                error.get("column") or "",
                error.get("header") or "",
                error.get("name") or "",
                error.get("message") or "",
            ]
        )
    for index, width in enumerate((8, 6, 26, 14, 80), start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
