"""Issue 9 check 4 ("Bad files") / "One import path: checked before parsing": hidden sheets and merged cells
are refused by loanportal/imports/checks.py before python-calamine opens the file (before: from calamine's
metadata, after it had opened the workbook), with the reader's own messages, naming the sheet through
xl/workbook.xml and its relations; the reader still refuses them as a second line.

The cases refused are today's: any sheet with state="hidden" or "veryHidden" (the data sheet or another, empty
or not) and a `<mergeCell>` inside `<mergeCells>` in a worksheet. An empty `<mergeCells count="0"/>` still
imports. Each test uses the calamine spy (`calamine_calls`): an empty list means calamine was never called.
"""

import io
import zipfile

import pytest

from applications.models import PreApplication, PreApplicationImport
from applications.services.preapplications import PreApplicationImportRejected, pre_application_import
from loanportal.errors import DomainError
from loanportal.imports.checks import CheckedFile, check_upload
from loanportal.imports.reader import Field, Template, read_rows, read_sheets
from tests.factories_preapplications import good_row, upload, workbook_bytes, zip_bytes

YEAR = 2026
MAIN_NS = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET = "xl/worksheets/sheet1.xml"
RELS = "xl/_rels/workbook.xml.rels"
MERGED_E2_E3 = "工作表“名单”中有合并单元格（如 E2:E3），请取消合并、每行一条记录后再导入"
DAMAGED = "文件已损坏"


def members_of(content: bytes) -> dict:
    source = zipfile.ZipFile(io.BytesIO(content))
    return {name: source.read(name) for name in source.namelist()}


def edited(content: bytes, name: str, replace: str, by: str) -> bytes:
    members = members_of(content)
    text = members[name].decode()
    assert replace in text, (name, replace)
    members[name] = text.replace(replace, by, 1).encode()
    return zip_bytes(members)


def with_merge(content: bytes, merge_xml: str, sheet: str = SHEET) -> bytes:
    return edited(content, sheet, "</sheetData>", "</sheetData>" + merge_xml)


def counts():
    return (PreApplication.objects.count(), PreApplicationImport.objects.count())


def refused_before_calamine(world, calamine_calls, content: bytes) -> str:
    before = counts()
    with pytest.raises(DomainError) as caught:
        pre_application_import(
            actor=world.users.county1_staff, county=world.county1, year=YEAR, file=upload(content)
        )
    assert not isinstance(caught.value, PreApplicationImportRejected)
    assert calamine_calls == [], "refused before calamine opened the file"
    assert counts() == before, "a refused file saves nothing"
    return caught.value.message


def imported(world, calamine_calls, content: bytes) -> None:
    batch = pre_application_import(
        actor=world.users.county1_staff, county=world.county1, year=YEAR, file=upload(content)
    )
    assert len(calamine_calls) == 1 and PreApplication.objects.filter(batch=batch).count() == 1


def hidden_workbook(state: str, *, data_sheet: bool) -> bytes:
    def extra(workbook):
        if data_sheet:
            workbook.create_sheet("说明")  # a visible sheet, so the workbook stays valid
            workbook["名单"].sheet_state = state
        else:
            workbook.create_sheet("备用").sheet_state = state  # empty: refused all the same, as before

    return workbook_bytes([good_row()], extra=extra)


# --- hidden sheets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_issue9_check4_hidden_data_sheet_refused_before_calamine(world, calamine_calls, state):
    """Issue 9 check 4 / One import path: checked before parsing — the data sheet hidden (or very hidden:
    Excel's own menus cannot show it) is refused, named, before calamine opens the file."""
    message = refused_before_calamine(world, calamine_calls, hidden_workbook(state, data_sheet=True))
    assert message == "工作簿含有隐藏的工作表：名单。隐藏内容无法核对，请删除隐藏工作表后再导入"


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_issue9_check4_empty_hidden_extra_sheet_still_refused_as_before(world, calamine_calls, state):
    """Issue 9 check 4 / One import path: checked before parsing — a hidden sheet that is not the data sheet,
    even an empty one, is refused as the reader refused it (its contents cannot be checked by the clerk)."""
    message = refused_before_calamine(world, calamine_calls, hidden_workbook(state, data_sheet=False))
    assert message == "工作簿含有隐藏的工作表：备用。隐藏内容无法核对，请删除隐藏工作表后再导入"


def test_issue9_check4_hidden_sheet_in_a_workbook_part_named_in_another_case(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — calamine finds xl/Workbook.xml when
    xl/workbook.xml is missing (its lookup ignores case); the checks read it all the same."""
    members = members_of(workbook_bytes([good_row()]))
    workbook = members.pop("xl/workbook.xml").decode().replace('state="visible"', 'state="hidden"')
    members["xl/Workbook.xml"] = workbook.encode()
    assert "隐藏的工作表：名单" in refused_before_calamine(world, calamine_calls, zip_bytes(members))


def test_issue9_check4_unknown_sheet_state_is_damaged_before_calamine(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — a state calamine does not know (it would
    fail to open the workbook) is the damaged-file refusal, before calamine."""
    content = edited(workbook_bytes([good_row()]), "xl/workbook.xml", 'state="visible"', 'state="secret"')
    assert DAMAGED in refused_before_calamine(world, calamine_calls, content)


def test_issue9_check4_visible_extra_sheets_and_prefixed_state_still_import(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — not stricter than the reader: an empty
    visible sheet imports, and so does a `state` attribute in another namespace (calamine ignores it)."""
    content = workbook_bytes([good_row()], extra=lambda wb: wb.create_sheet("空表"))
    content = edited(content, "xl/workbook.xml", 'state="visible"', 'y:state="hidden" xmlns:y="urn:other"')
    imported(world, calamine_calls, content)


# --- merged cells ---------------------------------------------------------------------------------------------


def test_issue9_check4_merged_cells_in_the_data_sheet_refused_before_calamine(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — merged cells in the data sheet: the
    reader's message, word for word, naming the sheet and the first range, before calamine."""
    content = workbook_bytes([good_row(), good_row()], extra=lambda wb: wb.active.merge_cells("E2:E3"))
    assert refused_before_calamine(world, calamine_calls, content) == MERGED_E2_E3


@pytest.mark.parametrize(
    "merge_xml",
    [
        f'<x:mergeCells {MAIN_NS} count="1"><x:mergeCell ref="E2:E3"/></x:mergeCells>',
        f'<mergeCells count="1"><x:mergeCell {MAIN_NS} ref="e2:e3"></x:mergeCell></mergeCells>',
        "<mergeCells a='/>'><mergeCell b=\">\" ref='E2:E3'/></mergeCells>",
        '<mergeCells><extLst><mergeCell ref="E2:E3"/></extLst></mergeCells>',
    ],
    ids=["x-prefix", "prefixed-cell-lower-case-ref", "quotes-and-brackets-in-values", "nested"],
)
def test_issue9_check4_merged_cells_written_any_way_refused_before_calamine(world, calamine_calls, merge_xml):
    """Issue 9 check 4 / One import path: checked before parsing — `<x:mergeCell>` and other spellings that
    calamine reads as merged cells are found by the exact path (the word found first by one bytes search)."""
    content = with_merge(workbook_bytes([good_row(), good_row()]), merge_xml)
    assert refused_before_calamine(world, calamine_calls, content) == MERGED_E2_E3


def test_issue9_check4_merged_cells_after_much_text_found_all_the_same(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — the word "mergeCell" is looked for from
    its "g", a few at a time; a sheet whose text holds many of them is searched whole all the same."""
    content = workbook_bytes([good_row(备注="going long gap") for _ in range(2)] * 20)
    assert members_of(content)[SHEET].count(b"g") > 64  # more than the checks probe one by one
    content = with_merge(content, '<mergeCells><mergeCell ref="E2:E3"/></mergeCells>')
    assert refused_before_calamine(world, calamine_calls, content) == MERGED_E2_E3


def test_issue9_check4_merged_cells_with_an_unreadable_ref_still_refused(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — calamine dropped every merged range of a
    sheet when one `ref` could not be read (a good range hidden behind a bad one imported); here it is
    refused, and a range that cannot be shown is left out of the message."""
    good_then_bad = '<mergeCells><mergeCell ref="E2:E3"/><mergeCell ref="zz"/></mergeCells>'
    content = with_merge(workbook_bytes([good_row(), good_row()]), good_then_bad)
    assert refused_before_calamine(world, calamine_calls, content) == MERGED_E2_E3
    only_bad = with_merge(workbook_bytes([good_row()]), '<mergeCells><mergeCell ref="&#69;2"/></mergeCells>')
    message = refused_before_calamine(world, calamine_calls, only_bad)
    assert message == "工作表“名单”中有合并单元格，请取消合并、每行一条记录后再导入"


def test_issue9_check4_merged_cells_named_by_their_own_sheet(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — merged cells in the second sheet are
    named by that sheet (xl/workbook.xml → relation id → xl/_rels/workbook.xml.rels → part)."""

    def extra(workbook):
        notes = workbook.create_sheet("说明")
        notes.append(["填表说明"])
        notes.append(["请每行填写一名学生"])
        notes.merge_cells("A1:C1")

    message = refused_before_calamine(world, calamine_calls, workbook_bytes([good_row()], extra=extra))
    assert message == "工作表“说明”中有合并单元格（如 A1:C1），请取消合并、每行一条记录后再导入"


def test_issue9_check4_formula_still_told_before_merged_cells(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — a sheet with a formula and merged cells
    is told about the formula, as before (hidden sheets and merged cells are refused after the scan)."""
    content = workbook_bytes(
        [good_row(), good_row()],
        extra=lambda wb: (wb.active.merge_cells("E2:E3"), wb.active.cell(2, 7, "=1+1")),
    )
    assert "公式" in refused_before_calamine(world, calamine_calls, content)


@pytest.mark.parametrize(
    "merge_xml", ['<mergeCells count="0"/>', "<mergeCells></mergeCells>", '<mergeCell ref="E2:E3"/>']
)
def test_issue9_check4_no_merged_cell_inside_merge_cells_still_imports(world, calamine_calls, merge_xml):
    """Issue 9 check 4 / One import path: checked before parsing — not stricter than the reader: an empty
    `<mergeCells>` list, or a `<mergeCell>` outside one (calamine reads neither as merged cells), imports."""
    imported(world, calamine_calls, with_merge(workbook_bytes([good_row()]), merge_xml))


# --- relations: outside xl/, nowhere, hostile; parts named in another case ---------------------------------------


def test_issue9_check4_relations_pointing_outside_xl_are_followed_and_refused(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — a worksheet moved outside xl/ (Target
    "../data.xml") is scanned as a worksheet: its merged cells are refused, named, without a crash."""
    members = members_of(workbook_bytes([good_row(), good_row()]))
    sheet = members.pop(SHEET).decode()
    members["data.xml"] = sheet.replace(
        "</sheetData>", '</sheetData><mergeCells><mergeCell ref="E2:E3"/></mergeCells>'
    ).encode()
    members[RELS] = members[RELS].decode().replace("/xl/worksheets/sheet1.xml", "../data.xml").encode()
    assert refused_before_calamine(world, calamine_calls, zip_bytes(members)) == MERGED_E2_E3


def test_issue9_check4_relations_pointing_nowhere_merged_cells_refused_without_a_name(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — the sheet's relation names a part that is
    not there and the worksheet lies orphaned in xl/worksheets/: its merged cells are refused, the message
    saying so without a sheet name (none can be found), never a crash."""
    content = with_merge(
        workbook_bytes([good_row(), good_row()]), '<mergeCells><mergeCell ref="E2:E3"/></mergeCells>'
    )
    content = edited(content, RELS, "/xl/worksheets/sheet1.xml", "/xl/worksheets/nowhere.xml")
    message = refused_before_calamine(world, calamine_calls, content)
    assert message == "工作表中有合并单元格（如 E2:E3），请取消合并、每行一条记录后再导入"


@pytest.mark.parametrize(
    "relations",
    [
        '<!DOCTYPE r [<!ENTITY a "x">]><Relationships/>',
        "<Relationships><Relationship Id='rId1' Target='x'",
    ],
    ids=["doctype", "not-well-formed"],
)
def test_issue9_check4_hostile_relations_are_the_damaged_refusal(world, calamine_calls, relations):
    """Issue 9 check 4 / One import path: checked before parsing — relations that cannot be read safely are
    the existing damaged-file refusal, before calamine."""
    members = members_of(workbook_bytes([good_row()], extra=lambda wb: wb.active.merge_cells("E2:E3")))
    members[RELS] = relations.encode()
    assert DAMAGED in refused_before_calamine(world, calamine_calls, zip_bytes(members))


def test_issue9_check4_worksheet_part_named_in_another_case_is_scanned(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — calamine reads xl/Worksheets/sheet1.xml
    for xl/worksheets/sheet1.xml (its lookup ignores case); the scan did not know it as a worksheet, so a
    formula (or a far-away cell) there reached calamine. Now it is scanned, and refused."""
    members = members_of(workbook_bytes([good_row()], extra=lambda wb: wb.active.cell(2, 7, "=1+1")))
    members["xl/Worksheets/sheet1.xml"] = members.pop(SHEET)
    assert "公式" in refused_before_calamine(world, calamine_calls, zip_bytes(members))


def test_issue9_check4_utf16_worksheet_is_damaged_before_calamine(world, calamine_calls):
    """Issue 9 check 4 / One import path: checked before parsing — the byte scans assume UTF-8; a worksheet in
    UTF-16 (expat reads it from its byte-order mark; calamine cannot) is refused as damaged."""
    members = members_of(workbook_bytes([good_row()], extra=lambda wb: wb.active.merge_cells("E2:E3")))
    members[SHEET] = b"\xff\xfe" + members[SHEET].decode().encode("utf-16-le")
    assert DAMAGED in refused_before_calamine(world, calamine_calls, zip_bytes(members))


# --- the reader's second line ---------------------------------------------------------------------------------


TEMPLATE = Template("名单", (Field("name", "姓名", required=True),))


@pytest.mark.parametrize("read", [read_rows, lambda checked, template: next(read_sheets(checked, template))])
def test_issue9_check4_reader_second_line_refuses_what_the_checks_refuse(read):
    """Issue 9 check 4 / One import path: checked before parsing — a file that never went through the checks
    (a CheckedFile built by hand) is still refused by the reader, with the same messages."""
    hidden = hidden_workbook("hidden", data_sheet=False)
    merged = workbook_bytes([good_row(), good_row()], extra=lambda wb: wb.active.merge_cells("E2:E3"))
    for content in (hidden, merged):
        with pytest.raises(DomainError) as by_checks:
            check_upload(upload(content))
        with pytest.raises(DomainError) as by_reader:
            read(CheckedFile(name="名单.xlsx", kind="xlsx", data=content), TEMPLATE)
        assert by_reader.value.message == by_checks.value.message
