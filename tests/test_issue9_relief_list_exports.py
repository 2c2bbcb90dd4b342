"""附件1–3 from the relief case list: "导出" beside the list's filters, exporting exactly what the filters
show (issue 9 "One export path": each export from the page it belongs to). Policy: notice 二十一 (approval
before student information leaves), relief measures 第二十七条 (controlled copying)."""

import pytest
from django.urls import reverse

from loanportal.exports import services as exports
from loanportal.exports.models import ExportStatus
from tests.xlsx_inspect import Book

from .factories_relief import open_case


@pytest.fixture(autouse=True)
def _roots(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")


@pytest.fixture
def two_cases(world):
    return (
        open_case(world, category="4"),
        open_case(world, student=world.students.c1_u4, category="3"),
    )


def test_issue9_relief_case_list_has_export_buttons_beside_its_filters(world, two_cases, client_for):
    """Notice 二十一: the 导出附件1–3 buttons sit in the filter bar and carry the list's filters."""
    html = (
        client_for(world.users.county1_staff)
        .get(reverse("relief-case-list") + "?category=4&q=")
        .content.decode()
    )
    bar = html[
        html.index('class="card card-body filter-bar') : html.index("</form>", html.index("filter-bar"))
    ]
    for kind in ("relief_att1", "relief_att2", "relief_att3"):
        assert f'id="export-{kind}"' in bar
        assert f"{reverse('export-new', args=[kind])}?category=4&amp;q=" in bar


def test_issue9_relief_att1_holds_exactly_the_filtered_cases(
    world, two_cases, client, eager, django_capture_on_commit_callbacks
):
    """第二十七条 / notice 二十一: the approver sees the filtered count and the file holds those cases only,
    with the filter described in Chinese (类别：第4类)."""
    kept, left_out = two_cases
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = exports.export_request_create(
        actor=staff, kind="relief_att1", params={"category": "4"}, purpose="报送省资助中心复审"
    )
    assert export.total_rows == 1 and "类别：第4类" in export.filter_summary
    unfiltered = exports.export_request_create(
        actor=staff, kind="relief_att1", params={}, purpose="全部案件核对"
    )
    assert unfiltered.total_rows == 2
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_approve(actor=manager, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.row_count == 1
    client.force_login(staff)
    book = Book(b"".join(client.get(reverse("export-download", args=[export.pk])).streaming_content))
    values = {v for sheet in book.sheets.values() for _, v, _, _ in sheet.cells.values()}
    assert kept.case_no in values and left_out.case_no not in values


def test_issue9_relief_att_search_filter_is_the_pages(world, two_cases):
    """Notice 二十一: 姓名或救助编号 narrows the export as it narrows the list."""
    kept, _ = two_cases
    staff = world.users.county1_staff
    export = exports.export_request_create(
        actor=staff, kind="relief_att1", params={"q": kept.case_no}, purpose="报送省资助中心复审"
    )
    assert export.total_rows == 1 and f"姓名或救助编号：{kept.case_no}" in export.filter_summary


def test_issue9_relief_form_masks_numbers_typed_in_its_free_text(
    world, client, eager, django_capture_on_commit_callbacks
):
    """Notice 二十一 / 第二十七条: 申请理由 typed with a phone and an ID number shows them masked unless the
    approval covers full numbers (as the number columns)."""
    student = world.students.c1_u1
    case = open_case(world, facts=f"母亲重病，联系电话13812345678，母亲身份证{student.id_number}")
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = exports.export_request_create(
        actor=staff, kind="relief_att1", params={"case": str(case.pk)}, purpose="报送省资助中心复审"
    )
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_approve(actor=manager, export=export)
    client.force_login(staff)
    book = Book(b"".join(client.get(reverse("export-download", args=[export.pk])).streaming_content))
    values = "\n".join(v or "" for sheet in book.sheets.values() for _, v, _, _ in sheet.cells.values())
    assert "母亲重病" in values and "138****5678" in values
    assert "13812345678" not in values and student.id_number not in values
