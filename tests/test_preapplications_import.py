"""Importing a county's pre-application list from xlsx (首贷预申请名单, notice 三(六)): all-or-nothing, a
row-level report in the sheet's own row numbers, bad files refused before parsing."""

import pytest

from applications.models import PreApplication, PreApplicationImport, PreApplicationStatus
from applications.services.preapplications import (
    PreApplicationImportRejected,
    pre_application_add,
    pre_application_import,
)
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import AuditEvent

from .factories_preapplications import good_row, student_id, upload, workbook_bytes, zip_bytes

YEAR = 2026


def counts():
    return (PreApplication.objects.count(), PreApplicationImport.objects.count())


def do_import(world, content, user=None, name="名单.xlsx"):
    user = user or world.users.county1_staff
    return pre_application_import(actor=user, county=user.organisation, year=YEAR, file=upload(content, name))


def rejected(world, content):
    before = PreApplication.objects.count()
    with pytest.raises(PreApplicationImportRejected) as caught:
        do_import(world, content)
    assert PreApplication.objects.count() == before, "nothing may be saved"
    assert caught.value.batch.succeeded is False
    return caught.value.errors


def test_good_list_imports_every_row_with_one_audit_row(world):
    """notice 三(六): a county imports its list; one batch, one audit row, rows listed this year."""
    audit_before = AuditEvent.objects.count()
    rows = [good_row(), good_row(预申请依据="建档立卡贫困户"), good_row(预申请依据="孤残学生", 联系电话="")]
    batch = do_import(world, workbook_bytes(rows))
    assert batch.succeeded and batch.row_count == 3
    assert batch.source_school == "榆中县第一中学"
    created = PreApplication.objects.filter(batch=batch)
    assert created.count() == 3
    assert set(created.values_list("status", flat=True)) == {PreApplicationStatus.LISTED}
    assert set(created.values_list("source", flat=True)) == {"import"}
    assert set(created.values_list("county", flat=True)) == {world.county1.pk}
    assert AuditEvent.objects.count() == audit_before + 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.action == "pre_application_import.succeeded" and event.object_pk == str(batch.pk)


@pytest.mark.parametrize(
    "label, code",
    [
        ("建档立卡贫困户", "registered_poor"),
        ("城乡低保户", "minimum_living"),
        ("农村特困救助供养", "rural_support"),
        ("孤残学生", "orphan_disabled"),
        ("高中阶段获国家助学金", "national_grant"),
        ("高中阶段获国家助学金（含复读一年）", "national_grant"),
        ("其他经学校认定的家庭经济困难学生", "school_certified"),
    ],
)
def test_the_six_bases_of_notice_3_6_are_accepted(world, label, code):
    """notice 三(六): the six bases, 国家助学金 including the one repeat year."""
    batch = do_import(world, workbook_bytes([good_row(预申请依据=label)]))
    assert PreApplication.objects.get(batch=batch).basis == code


def test_imported_student_links_to_registered_student(world):
    student = world.students.c1_u1
    batch = do_import(world, workbook_bytes([good_row(身份证号=student.id_number, 姓名=student.name)]))
    assert PreApplication.objects.get(batch=batch).student == student


def test_every_imported_value_is_saved_exactly_as_checked(world):
    """notice 三(六): what the clerk's list says is what the list holds — an empty 备注 stays empty text, a
    备注 of quotes, commas, a backslash-N or a line break stays as typed, an unregistered student has no
    student link (COPY's NULL never swallows a text)."""
    student = world.students.c1_u1
    notes = ["", "\\N", '他说："先贷款, 再报到"', "第一行\n第二行", "\\"]
    rows = [good_row(备注=note) for note in notes]
    rows.append(good_row(身份证号=student.id_number, 姓名=student.name, 联系电话="", 备注="已注册"))
    batch = do_import(world, workbook_bytes(rows))
    saved = list(PreApplication.objects.filter(batch=batch).order_by("pk"))
    assert [p.note for p in saved] == [*notes, "已注册"]
    assert [p.student_id for p in saved] == [None] * len(notes) + [student.pk]
    assert saved[-1].phone == "" and saved[0].phone == "13812345678"
    assert [p.name for p in saved] == ["李明"] * len(notes) + [student.name]
    assert {p.created_by_id for p in saved} == {world.users.county1_staff.pk}
    assert all(abs((p.created_at - batch.created_at).total_seconds()) < 60 for p in saved)
    assert {(p.year, p.county_id, p.status, p.source) for p in saved} == {
        (YEAR, world.county1.pk, PreApplicationStatus.LISTED, "import")
    }


def test_bad_row_among_good_ones_saves_nothing_and_names_row_column_reason(world):
    """notice 三(六) all-or-nothing: one bad check digit in row 4 → nothing saved, report says B4."""
    good = student_id()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [good_row(), good_row(), good_row(身份证号=wrong, 姓名="王五"), good_row()]
    errors = rejected(world, workbook_bytes(rows))
    assert errors == [
        {
            "row": 4,
            "column": "B",
            "header": "身份证号",
            "message": "身份证号校验码（第18位）错误",
            "name": "王五",
            "sheet": "名单",
        }
    ]
    batch = PreApplicationImport.objects.get()
    assert batch.succeeded is False and batch.errors == errors and batch.row_count == 4


def test_unknown_basis_missing_field_and_bad_phone_are_reported(world):
    """notice 三(六): only the six bases; required fields; phone format."""
    rows = [
        good_row(预申请依据="低收入家庭"),
        good_row(姓名=""),
        good_row(联系电话="12345"),
    ]
    errors = rejected(world, workbook_bytes(rows))
    by_row = {e["row"]: e for e in errors}
    assert by_row[2]["column"] == "C" and "不在六类范围内" in by_row[2]["message"]
    assert by_row[3]["column"] == "A" and by_row[3]["message"] == "“姓名”不能为空"
    assert by_row[4]["column"] == "F" and "联系电话格式错误" in by_row[4]["message"]


def test_duplicate_in_file_names_both_rows(world):
    """notice 三(六): the same student twice in one file is refused, both rows named."""
    same = student_id()
    rows = [good_row(身份证号=same), good_row(), good_row(身份证号=same.lower())]
    errors = rejected(world, workbook_bytes(rows))
    assert len(errors) == 1
    assert errors[0]["row"] == 4 and errors[0]["column"] == "B"
    assert "第2行" in errors[0]["message"] and "第4行" in errors[0]["message"]


def test_already_listed_this_year_in_another_county_names_the_county_only(world):
    """notice 三(六): a student already on a list this year (any county) is refused; only the county is said."""
    other = world.users.county3_staff
    taken = student_id("620522")
    pre_application_add(
        actor=other,
        county=world.county3,
        year=YEAR,
        name="赵六",
        id_number=taken,
        basis="minimum_living",
        high_school="秦安县第一中学",
        phone="13900000000",
    )
    errors = rejected(world, workbook_bytes([good_row(), good_row(身份证号=taken, 姓名="赵六")]))
    assert len(errors) == 1 and errors[0]["row"] == 3
    message = errors[0]["message"]
    assert "秦安县学生资助管理中心" in message and str(YEAR) in message
    assert "赵六" not in message and "1390000" not in message and taken not in message


def test_listed_last_year_is_no_obstacle(world):
    taken = student_id()
    pre_application_add(
        actor=world.users.county1_staff,
        county=world.county1,
        year=YEAR - 1,
        name="钱七",
        id_number=taken,
        basis="minimum_living",
        high_school="榆中县第一中学",
    )
    batch = do_import(world, workbook_bytes([good_row(身份证号=taken)]))
    assert batch.row_count == 1


def test_row_outside_the_county_is_refused_with_its_row(world):
    """notice 三(六): a high school's list covering several counties: other counties' rows are refused."""
    rows = [good_row(), good_row("620522"), good_row(**{"生源地（县区代码或名称）": "榆中县"})]
    errors = rejected(world, workbook_bytes(rows))
    assert [(e["row"], e["column"], e["header"]) for e in errors] == [(3, "D", "生源地（县区代码或名称）")]
    assert "不是本县" in errors[0]["message"]


def test_id_area_code_is_only_checked_for_validity(world):
    """The county is the 生源地 column; an ID born elsewhere (valid area code) is fine, an unknown code not."""
    born_elsewhere = student_id("620102")  # 兰州市城关区
    batch = do_import(world, workbook_bytes([good_row(身份证号=born_elsewhere)]))
    assert batch.row_count == 1
    body = "99999920080315123"
    from stdnum.cn import ric

    errors = rejected(world, workbook_bytes([good_row(身份证号=body + ric.calc_check_digit(body + "0"))]))
    assert "地区码" in errors[0]["message"]


def test_numeric_id_cell_is_refused_because_excel_rounds_it(world):
    errors = rejected(world, workbook_bytes([good_row(身份证号=620123200803151234)]))
    assert errors[0]["column"] == "B" and "文本格式" in errors[0]["message"]


def test_columns_in_another_order_and_blank_and_example_rows(world):
    """Headers are matched by name; blank rows and the template's example row are skipped; row numbers
    stay the sheet's own."""
    from applications.rules.preapplications import EXAMPLE_ROW, HEADERS

    order = list(reversed(HEADERS))
    good = dict(zip(HEADERS, good_row(), strict=True))
    bad = dict(zip(HEADERS, good_row(联系电话="abc"), strict=True))
    rows = [
        list(reversed(EXAMPLE_ROW)),
        [good[h] for h in order],
        [None] * len(order),
        [bad[h] for h in order],
    ]
    errors = rejected(world, workbook_bytes(rows, headers=order))
    assert [(e["row"], e["column"]) for e in errors] == [(5, "B")]


# --- bad files: refused before parsing, nothing saved -------------------------------------------------------


def refused(world, content, name="名单.xlsx"):
    before = counts()
    with pytest.raises(DomainError) as caught:
        do_import(world, content, name=name)
    assert not isinstance(caught.value, PreApplicationImportRejected)
    assert counts() == before, "a refused file saves nothing"
    return caught.value.message


def test_wrong_headers_say_which_are_missing_and_unexpected(world):
    headers = ["姓名", "身份证", "预申请依据", "生源地（县区代码或名称）", "高中学校", "联系电话", "备注"]
    message = refused(world, workbook_bytes([good_row()], headers=headers))
    assert "缺少列：“身份证号”" in message and "B列“身份证”" in message


def test_merged_cells_are_refused(world):
    content = workbook_bytes([good_row(), good_row()], extra=lambda wb: wb.active.merge_cells("E2:E3"))
    assert "合并单元格" in refused(world, content) and "E2:E3" in refused(world, content)


def test_formula_cells_are_refused(world):
    def add_formula(wb):
        wb.active["G2"] = '=CONCATENATE("a","b")'

    message = refused(world, workbook_bytes([good_row()], extra=add_formula))
    assert "公式" in message and "G2" in message


def test_hidden_extra_sheet_is_refused(world):
    def hidden(wb):
        sheet = wb.create_sheet("备用")
        sheet.append(["x"])
        sheet.sheet_state = "hidden"

    assert "隐藏的工作表：备用" in refused(world, workbook_bytes([good_row()], extra=hidden))


def test_second_visible_data_sheet_is_refused(world):
    def second(wb):
        wb.create_sheet("二中").append(good_row())
        wb.create_sheet("空表")  # an empty visible sheet (Excel's Sheet2) is harmless

    message = refused(world, workbook_bytes([good_row()], extra=second))
    assert "2个含数据的工作表" in message and "二中" in message


def test_renamed_non_xlsx_is_refused(world):
    assert "不是Excel" in refused(world, "姓名,身份证号\n".encode(), name="名单.xlsx")
    # a zip that is not a workbook (e.g. a renamed .docx-like package)
    not_workbook = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert "不是Excel" in refused(world, not_workbook)


def test_xlsx_over_the_uncompressed_limit_is_refused(world, settings):
    """Zip-bomb guard: the members' declared sizes are summed before openpyxl opens the file."""
    settings.XLSX_MAX_UNCOMPRESSED_BYTES = 20_000
    content = workbook_bytes([good_row(备注="x" * 100) for _ in range(200)])
    assert len(content) < 20_000
    assert "解压后" in refused(world, content)


def test_upload_over_the_size_limit_is_refused(world, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    assert "文件过大" in refused(world, workbook_bytes([good_row()]))


def test_empty_list_is_refused(world):
    assert "没有学生数据" in refused(world, workbook_bytes([]))


def test_only_the_countys_own_staff_may_import(world):
    with pytest.raises(PermissionDeniedError):
        pre_application_import(
            actor=world.users.city1_manager,
            county=world.county1,
            year=YEAR,
            file=upload(workbook_bytes([good_row()])),
        )
    with pytest.raises(PermissionDeniedError):
        pre_application_import(
            actor=world.users.county2_staff,
            county=world.county1,
            year=YEAR,
            file=upload(workbook_bytes([good_row()])),
        )
    assert counts() == (0, 0)


def test_list_saved_by_excel_with_shared_and_rich_strings_imports_exactly(world):
    """notice 三(六): lists come from high schools' Excel/WPS, which store text in a shared-string table
    (some of it as formatted runs, with phonetic hints that are not part of the value)."""
    from .factories_preapplications import as_excel_writes_it

    rows = [
        good_row(姓名="王小明", 高中学校="榆中县第一中学&分校"),
        good_row(姓名="赵丽", 高中学校="榆中县职业中等专业学校"),
    ]
    content = as_excel_writes_it(workbook_bytes(rows), rich_text_for="榆中县职业中等专业学校")
    batch = do_import(world, content)
    saved = {p.name: p.high_school for p in PreApplication.objects.filter(batch=batch)}
    assert saved == {"王小明": "榆中县第一中学&分校", "赵丽": "榆中县职业中等专业学校"}
    assert {p.id_number for p in PreApplication.objects.filter(batch=batch)} == {r[1] for r in rows}


def test_sheet_with_a_doctype_is_refused_before_reading(world):
    """An XML DOCTYPE (entity definitions: the 'billion laughs' family) is refused, nothing saved."""
    import io as _io
    import zipfile as _zipfile

    from .factories_preapplications import zip_bytes as _zip

    source = _zipfile.ZipFile(_io.BytesIO(workbook_bytes([good_row()])))
    members = {name: source.read(name) for name in source.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        "<worksheet", '<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet', 1
    ).encode()
    before = counts()
    with pytest.raises(DomainError, match="损坏"):
        do_import(world, _zip(members))
    assert counts() == before


# --- issue 7 item 4: hostile spreadsheets get a clear Chinese 400, fast, nothing saved ---------------------
# Each file is built here from a good workbook; every one must be refused (DomainError, i.e. a 400) within
# TIME_BOUND seconds, with nothing saved — never a 500, never a worker held.

TIME_BOUND = 2.0
URL = "/api/v1/pre-applications/"


def members_of(content: bytes) -> dict:
    import io as _io
    import zipfile as _zipfile

    source = _zipfile.ZipFile(_io.BytesIO(content))
    return {name: source.read(name) for name in source.namelist()}


def with_shared_strings(
    members: dict, strings_xml: bytes, cell_xml: str = '<c r="G2" t="s"><v>0</v></c>'
) -> dict:
    """Put `strings_xml` in as xl/sharedStrings.xml, and a cell referring to it in G2 (备注)."""
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    row2 = sheet.index('<row r="2"')
    end = sheet.index("</row>", row2)
    members["xl/worksheets/sheet1.xml"] = (sheet[:end] + cell_xml + sheet[end:]).encode()
    members["xl/sharedStrings.xml"] = strings_xml
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    return members


SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'


def refused_fast(world, content, name="名单.xlsx") -> str:
    import time

    started = time.perf_counter()
    message = refused(world, content, name=name)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"took {elapsed:.2f} s"
    assert any("\u4e00" <= c <= "\u9fff" for c in message), "a Chinese message"
    return message


def test_issue7_4_unclosed_rows_quadratic_input_is_refused_within_the_bound(world):
    """Today's regular expression rescans to the end from every `<row` without a closing tag (36 s for 5.6 KB)."""
    members = members_of(workbook_bytes([good_row()]))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index("<sheetData>") + len("<sheetData>")
    members["xl/worksheets/sheet1.xml"] = (sheet[:start] + '<row r="1">' * 3000 + sheet[start:]).encode()
    assert "损坏" in refused_fast(world, zip_bytes(members))


def test_issue7_4_billion_laughs_in_shared_strings_is_a_400(world):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        f"{SST}<si><t>&lol3;</t></si></sst>"
    ).encode()
    members = with_shared_strings(members_of(workbook_bytes([good_row()])), laughs)
    assert "损坏" in refused_fast(world, zip_bytes(members))


def test_issue7_4_external_entity_in_shared_strings_is_a_400(world):
    external = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"{SST}<si><t>&xxe;</t></si></sst>"
    ).encode()
    members = with_shared_strings(members_of(workbook_bytes([good_row()])), external)
    assert "损坏" in refused_fast(world, zip_bytes(members))


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/styles.xml", "docProps/core.xml", "_rels/.rels"])
def test_issue7_4_doctype_in_any_xml_part_is_refused(world, part):
    members = members_of(workbook_bytes([good_row()]))
    body = members[part].decode()
    declaration_end = body.index("?>") + 2 if body.startswith("<?xml") else 0
    members[part] = (
        body[:declaration_end] + '<!DOCTYPE x [<!ENTITY a "b">]>' + body[declaration_end:]
    ).encode()
    assert "损坏" in refused_fast(world, zip_bytes(members))


def test_issue7_4_truncated_part_is_a_400(world):
    members = members_of(workbook_bytes([good_row(), good_row()]))
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet[: len(sheet) // 2]
    assert "损坏" in refused_fast(world, zip_bytes(members))


def test_issue7_4_truncated_file_is_a_400(world):
    content = workbook_bytes([good_row() for _ in range(50)])
    assert refused_fast(world, content[: len(content) * 2 // 3])


def test_issue7_4_shared_string_index_out_of_range_is_a_400(world):
    strings = f"{SST}<si><t>只有一项</t></si></sst>".encode()
    members = with_shared_strings(
        members_of(workbook_bytes([good_row()])), strings, cell_xml='<c r="G2" t="s"><v>999</v></c>'
    )
    assert "损坏" in refused_fast(world, zip_bytes(members))


def test_issue7_4_member_failing_its_crc_is_a_400(world):
    """Flip one byte of the worksheet's compressed data: zipfile's CRC check fails on reading it."""
    import struct
    import zipfile as _zipfile

    content = bytearray(workbook_bytes([good_row() for _ in range(20)]))
    package = _zipfile.ZipFile(__import__("io").BytesIO(bytes(content)))
    info = package.getinfo("xl/worksheets/sheet1.xml")
    name_length, extra_length = struct.unpack(
        "<HH", content[info.header_offset + 26 : info.header_offset + 30]
    )
    data_start = info.header_offset + 30 + name_length + extra_length
    content[data_start + info.compress_size // 2] ^= 0x01
    assert refused_fast(world, bytes(content))


def test_issue7_4_vba_project_inside_a_plain_xlsx_is_refused(world):
    members = members_of(workbook_bytes([good_row()]))
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\x00" * 512
    assert "宏" in refused_fast(world, zip_bytes(members))


def test_issue7_4_macro_enabled_workbook_is_refused(world):
    members = members_of(workbook_bytes([good_row()]))
    members["[Content_Types].xml"] = (
        members["[Content_Types].xml"]
        .decode()
        .replace(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        .encode()
    )
    assert "宏" in refused_fast(world, zip_bytes(members))
    assert "宏" in refused_fast(world, workbook_bytes([good_row()]), name="名单.xlsm")


def test_issue7_4_zip_bomb_is_refused_before_inflating(world):
    """A member declaring 50 MB of zeros (ratio ~1000): refused from the central directory alone."""
    members = members_of(workbook_bytes([good_row()]))
    members["xl/media/image1.png"] = b"\x00" * (50 * 1024 * 1024)
    assert "压缩比" in refused_fast(world, zip_bytes(members))


def test_issue7_4_too_many_zip_entries_is_refused(world, settings):
    settings.XLSX_MAX_ENTRIES = 50
    members = members_of(workbook_bytes([good_row()]))
    members.update({f"xl/media/x{i}.bin": b"x" for i in range(60)})
    assert "部件" in refused_fast(world, zip_bytes(members))


def test_issue7_4_sparse_cells_spanning_the_whole_sheet_are_refused(world):
    """Two cells at A1 and XFD1048576 would make the reader allocate 17 billion cells."""
    members = members_of(workbook_bytes([good_row()]))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>",
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    ).encode()
    assert "使用范围过大" in refused_fast(world, zip_bytes(members))


def test_issue7_4_renamed_files_are_refused(world):
    assert "不是Excel" in refused_fast(world, b"<html><body>x</body></html>")
    renamed_xls = refused_fast(world, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert ".xls" in renamed_xls and "另存为" in renamed_xls
    assert ".csv" in refused_fast(world, "姓名,身份证号\n".encode(), name="名单.csv")


def test_issue9_import_xls_is_refused_with_how_to_save_as_xlsx(world):
    message = refused_fast(world, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, name="名单.xls")
    assert ".xls" in message and "另存为" in message and "xlsx" in message


@pytest.mark.parametrize(
    "build",
    [
        "unclosed_rows",
        "billion_laughs",
        "string_index",
        "truncated",
        "vba",
    ],
)
def test_issue7_4_hostile_files_through_the_api_are_400_not_500(world, api_for, build):
    base = members_of(workbook_bytes([good_row()]))
    if build == "unclosed_rows":
        sheet = base["xl/worksheets/sheet1.xml"].decode()
        base["xl/worksheets/sheet1.xml"] = sheet.replace(
            "<sheetData>", "<sheetData>" + '<row r="1">' * 3000
        ).encode()
    elif build == "billion_laughs":
        base = with_shared_strings(
            base,
            f'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>{SST}<si><t>&b;</t></si></sst>'.encode(),
        )
    elif build == "string_index":
        base = with_shared_strings(
            base, f"{SST}<si><t>x</t></si></sst>".encode(), '<c r="G2" t="s"><v>7</v></c>'
        )
    elif build == "truncated":
        base["xl/sharedStrings.xml"] = b"<sst><si><t>x"
    else:
        base["xl/vbaProject.bin"] = b"\x00" * 64
    response = api_for(world.users.county1_staff).post(
        f"{URL}import/", {"year": YEAR, "file": upload(zip_bytes(base))}, format="multipart"
    )
    assert response.status_code == 400, response.content[:300]
    assert counts() == (0, 0)


def test_issue7_4_a_date_typed_into_the_note_is_kept_as_the_date_the_user_saw(world):
    import datetime

    batch = do_import(world, workbook_bytes([good_row(备注=datetime.date(2026, 7, 15))]))
    assert PreApplication.objects.get(batch=batch).note == "2026-07-15"


def test_issue9_import_phone_stored_as_a_number_is_refused_with_format_as_text(world):
    errors = rejected(world, workbook_bytes([good_row(联系电话=13812345678)]))
    assert [(e["row"], e["column"], e["header"]) for e in errors] == [(2, "F", "联系电话")]
    message = errors[0]["message"]
    # a phone's own explanation (a landline's leading 0), not the ID number's "1.4E+17 … digits lost"
    assert "文本格式" in message and "开头的0" in message and "固定电话" in message
    assert "1.4E+17" not in message and "身份证" not in message and "有效数字" not in message


def test_issue9_import_id_stored_as_a_number_is_refused_once_with_format_as_text(world):
    errors = rejected(world, workbook_bytes([good_row(身份证号=620123200803151234)]))
    assert len(errors) == 1 and errors[0]["column"] == "B"
    assert "文本格式" in errors[0]["message"] and "1.4E+17" in errors[0]["message"]
    assert "15位有效数字" in errors[0]["message"]


def test_issue7_1_names_with_markup_or_control_characters_are_refused_at_import(world):
    """Names are validated at import: the queue-page payload never reaches the database."""
    rows = [
        good_row(),
        good_row(姓名="x'+(window.__pwned=1)+'"),
        good_row(姓名="李\u202e明"),
        good_row(姓名="阿依古丽·买买提"),
    ]
    errors = rejected(world, workbook_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "A"), (4, "A")]
    assert "不允许的字符" in errors[0]["message"] and "U+202E" in errors[1]["message"]


def test_issue7_4_a_worksheet_moved_out_of_its_folder_is_still_checked(world):
    """The checks follow the workbook's relations, not only xl/worksheets/: a formula there is found."""
    members = members_of(workbook_bytes([good_row()]))
    sheet = members.pop("xl/worksheets/sheet1.xml").decode()
    row2_end = sheet.index("</row>", sheet.index('<row r="2"'))
    members["xl/hidden/data.xml"] = (
        sheet[:row2_end] + '<c r="H2"><f>1+1</f><v>2</v></c>' + sheet[row2_end:]
    ).encode()
    relations = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = relations.replace(
        "/xl/worksheets/sheet1.xml", "/xl/hidden/data.xml"
    ).encode()
    assert "公式" in refused_fast(world, zip_bytes(members))


@pytest.mark.parametrize(
    "far_cell",
    [
        '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
        '<c\tr="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
        "<c s='0' r='XFD1048576' t='inlineStr'><is><t>x</t></is></c>",
        '<c r="&#88;FD1048576" t="inlineStr"><is><t>x</t></is></c>',
        '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576"><x:v>1</x:v></x:c>',
    ],
)
def test_issue7_4_a_far_away_cell_written_any_way_is_refused(world, far_cell):
    """However the reference is written (tab, single quotes, a character reference, a prefix), a cell at
    XFD1048576 next to A1 is found before the reader allocates the grid."""
    members = members_of(workbook_bytes([good_row()]))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", f'<row r="1048576">{far_cell}</row></sheetData>'
    ).encode()
    assert "使用范围过大" in refused_fast(world, zip_bytes(members))
