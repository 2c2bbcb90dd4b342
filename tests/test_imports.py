"""The one import path (issue 9, "One import path"): loanportal.imports — checks before parsing, calamine
reading with header matching, per-row validation by the app, all-or-nothing, errors per sheet row and column.
Files here are built by hand in the shapes Excel, WPS and the OpenXML SDK write; files made by LibreOffice
itself (soffice), xlsxwriter and a WPS-like package are in tests/test_issue9_import_producers.py."""

import datetime
import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from loanportal import imports
from loanportal.errors import DomainError
from loanportal.models import Organisation

TEMPLATE = imports.Template(
    title="测试名单",
    fields=(
        imports.Field("name", "姓名", required=True),
        imports.Field("code", "代码", required=True, text=True),
        imports.Field("amount", "金额"),
        imports.Field("note", "备注", aliases=("说明",)),
    ),
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def upload(content: bytes, name: str = "表.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def openpyxl_file(rows, *, start: str = "A1") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    first_col = ord(start[0]) - 64
    first_row = int(start[1:])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=first_row + r, column=first_col + c, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def package(sheet_xml: str, *, shared: str | None = None, prefix: str = "") -> bytes:
    """A minimal xlsx written by hand, the way other producers write it (shared strings, `x:` prefixes)."""
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {ns} '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<{p}sheets><{p}sheet name="Sheet1" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns}><{p}sheetData>{sheet_xml}'
            f"</{p}sheetData></{p}worksheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><{p}sst {ns}>{shared or ""}</{p}sst>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in members.items():
            out.writestr(name, body.encode())
    return buffer.getvalue()


def collect(content: bytes, name: str = "表.xlsx", **kwargs):
    """Run the import with a validate_row that accepts everything and a write that returns the rows."""
    return imports.run_import(
        file=upload(content, name),
        template=TEMPLATE,
        validate_row=lambda row: imports.RowResult(
            {k: imports.cell_text(v) for k, v in row.cells.items()},
            label=imports.cell_text(row.cells["name"]),
        ),
        write=lambda accepted: [(row.number, values) for row, values in accepted],
        **kwargs,
    ).result


pytestmark = pytest.mark.django_db


def test_issue9_import_rows_keep_the_sheet_numbers_and_columns_match_by_header():
    """Header in row 3 starting at column B, columns in another order, an alias, a blank row: the rows
    keep the numbers the user sees."""
    content = openpyxl_file(
        [["说明", "代码", "姓名", "金额"], ["a", "001", "李明", 12.5], [None] * 4, ["b", "X2", "王芳", 3]],
        start="B3",
    )
    assert collect(content) == [
        (4, {"name": "李明", "code": "001", "amount": "12.5", "note": "a"}),
        (6, {"name": "王芳", "code": "X2", "amount": "3", "note": "b"}),
    ]


def test_issue9_import_errors_name_sheet_row_column_letter_and_header_and_nothing_is_written():
    written = []
    content = openpyxl_file([["姓名", "金额", "代码"], ["李明", 1, "A"], ["", 2, 12345], ["王芳", "x", "B"]])

    def validate(row):
        errors = [] if imports.is_number(row.cells["amount"]) else [("amount", "金额应为数字")]
        return imports.RowResult(dict(row.cells), errors, label=imports.cell_text(row.cells["name"]))

    with pytest.raises(imports.ImportRejected) as caught:
        imports.run_import(
            file=upload(content), template=TEMPLATE, validate_row=validate, write=written.append
        )
    assert written == []
    assert [(e.sheet, e.row, e.column, e.header, e.name) for e in caught.value.errors] == [
        ("Sheet", 3, "A", "姓名", ""),
        ("Sheet", 3, "C", "代码", ""),
        ("Sheet", 4, "B", "金额", "王芳"),
    ]
    assert caught.value.errors[0].message == "“姓名”不能为空"
    assert "文本格式" in caught.value.errors[1].message
    assert caught.value.errors[2].as_dict() == {
        "row": 4,
        "column": "B",
        "header": "金额",
        "message": "金额应为数字",
        "name": "王芳",
        "sheet": "Sheet",
    }
    assert caught.value.rows == 3


def test_issue9_import_all_or_nothing_when_the_write_fails_half_way():
    """write runs in one transaction: rows it saved before failing are rolled back."""
    content = openpyxl_file([["姓名", "代码"], ["李明", "A"], ["王芳", "B"]])
    before = Organisation.objects.count()

    def write(accepted):
        Organisation.objects.create(name="临时机构", code="999991", kind="county")
        raise DomainError("写入失败")

    with pytest.raises(DomainError, match="写入失败"):
        imports.run_import(
            file=upload(content), template=TEMPLATE, validate_row=lambda r: imports.RowResult({}), write=write
        )
    assert Organisation.objects.count() == before


def test_issue9_import_cross_row_checks_and_skipped_rows():
    content = openpyxl_file([["姓名", "代码"], ["示例", "0"], ["李明", "A"], ["王芳", "A"]])

    def validate(row):
        if row.cells["name"] == "示例":
            return None
        return imports.RowResult(dict(row.cells), label=row.cells["name"])

    def check_rows(accepted):
        seen, problems = {}, []
        for row, values in accepted:
            if values["code"] in seen:
                problems.append((row.number, "code", f"代码与第{seen[values['code']]}行重复"))
            seen.setdefault(values["code"], row.number)
        return problems

    with pytest.raises(imports.ImportRejected) as caught:
        imports.run_import(
            file=upload(content), template=TEMPLATE, validate_row=validate, check_rows=check_rows, write=list
        )
    assert [e.as_dict() for e in caught.value.errors] == [
        {
            "row": 4,
            "column": "B",
            "header": "代码",
            "message": "代码与第3行重复",
            "name": "王芳",
            "sheet": "Sheet",
        }
    ]


def test_issue9_import_header_mismatch_says_what_is_missing_and_unknown():
    with pytest.raises(DomainError) as caught:
        collect(openpyxl_file([["姓名", "编码"], ["李明", "A"]]))
    assert "缺少列：“代码”" in caught.value.message and "B列“编码”" in caught.value.message


def test_issue9_import_excel_and_wps_shared_strings_with_rich_text_and_numbers():
    """Excel / WPS: text in the shared-string table, some as formatted runs with a phonetic run; numbers
    stored as numbers (t="n" or no type); a date as a serial number with a date style is a number here."""
    shared = (
        "<si><t>姓名</t></si><si><t>代码</t></si><si><t>金额</t></si>"
        '<si><r><rPr><b/></rPr><t>李</t></r><r><t xml:space="preserve">明</t></r><rPh sb="0" eb="1"><t>LI</t></rPh></si>'
        "<si><t>A&amp;1</t></si>"
    )
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="n"><v>1200</v></c></row>'
    )
    assert collect(package(sheet, shared=shared)) == [
        (2, {"name": "李明", "code": "A&1", "amount": "1200", "note": ""})
    ]


def test_issue9_import_libreoffice_and_openxml_sdk_inline_strings_and_prefixed_elements():
    """Inline strings (openpyxl, generators, the OpenXML SDK) with `x:`-prefixed elements (the OpenXML SDK).
    Hand-written XML standing in for those writers; LibreOffice itself writes a shared-string table — real
    LibreOffice files are in tests/test_issue9_import_producers.py."""
    sheet = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>代码</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:r><x:t>王</x:t></x:r><x:r><x:t>芳</x:t></x:r></x:is></x:c>'
        '<x:c r="B2" t="str"><x:v>007</x:v></x:c></x:row>'
    )
    assert collect(package(sheet, prefix="x")) == [
        (2, {"name": "王芳", "code": "007", "amount": "", "note": ""})
    ]


def test_issue9_import_number_in_a_text_column_is_refused_with_format_as_text():
    with pytest.raises(imports.ImportRejected) as caught:
        collect(openpyxl_file([["姓名", "代码"], ["李明", 140102200001011234]]))
    message = caught.value.errors[0].message
    # a generic text column ("代码"): format as text, no ID-number explanation
    assert "数字格式" in message and "开头的0" in message and "设置为文本格式" in message
    assert "1.4E+17" not in message and "身份证" not in message


def test_issue9_import_dates_are_kept_as_the_user_saw_them():
    content = openpyxl_file(
        [
            ["姓名", "代码", "备注"],
            ["李明", "A", datetime.date(2026, 7, 15)],
            ["王芳", "B", datetime.datetime(2026, 7, 15, 8, 30)],
        ]
    )
    assert [values["note"] for _, values in collect(content)] == ["2026-07-15", "2026-07-15 08:30"]


def test_issue9_import_progress_is_reported():
    seen = []
    content = openpyxl_file([["姓名", "代码"]] + [[f"学生{i}", f"C{i}"] for i in range(2500)])
    collect(content, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_issue9_import_check_upload_repacks_only_checked_xml_parts():
    """The reader parses exactly the checked XML parts, stored uncompressed (it inflates nothing itself)."""
    workbook = Workbook()
    workbook.active.append(["姓名", "代码"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    checked = imports.check_upload(upload(buffer.getvalue()))
    members = zipfile.ZipFile(io.BytesIO(checked.data)).infolist()
    assert checked.kind == "xlsx" and members
    assert all(m.compress_type == zipfile.ZIP_STORED for m in members)
    assert all(m.filename.endswith((".xml", ".rels")) for m in members)


@pytest.mark.parametrize(
    "name, content_type, expected",
    [
        ("表.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12", "宏"),
        ("表.csv", "text/csv", "“.csv”"),
        ("表.xlsx", "text/html", "不是Excel"),
        ("表.xls", "application/vnd.ms-excel", "另存为"),
        ("表", "", "无扩展名"),
    ],
)
def test_issue9_import_extension_and_content_type_are_checked_first(name, content_type, expected):
    content = openpyxl_file([["姓名", "代码"], ["李明", "A"]])
    with pytest.raises(DomainError) as caught:
        imports.check_upload(SimpleUploadedFile(name, content, content_type=content_type))
    assert expected in caught.value.message


def test_issue9_import_large_sheet_reads_fast():
    """10,000 rows checked and read well under a second (calamine; measured ~0.2 s here)."""
    content = openpyxl_file(
        [["姓名", "代码", "金额", "备注"]] + [[f"学生{i}", f"C{i}", i, "x"] for i in range(10000)]
    )
    started = time.perf_counter()
    sheet = imports.read_rows(imports.check_upload(upload(content)), TEMPLATE)
    rows = list(sheet.rows)
    assert len(rows) == 10000 and rows[-1].number == 10001
    assert time.perf_counter() - started < 2.0


def test_column_letters_are_the_spreadsheets_own():
    from loanportal.imports.reader import column_letter

    assert [column_letter(i) for i in (1, 7, 26, 27, 52, 703)] == ["A", "G", "Z", "AA", "AZ", "AAA"]


def test_issue9_import_error_names_the_sheet_masking_a_phone_typed_as_its_name():
    """Issue 9 check 2 (no full phone in any response): the worksheet's name is the user's text too."""
    workbook = Workbook()
    workbook.active.title = "13812345678名单"
    workbook.active.append(["姓名", "代码"])
    workbook.active.append(["", "A"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(imports.ImportRejected) as caught:
        collect(buffer.getvalue())
    [error] = caught.value.errors
    assert error.sheet.endswith("名单") and "13812345678" not in error.sheet
    assert error.as_dict()["sheet"] == error.sheet
