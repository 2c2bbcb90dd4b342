"""Issue 11 spreadsheets: 附件1–5 and 附件7 in the forms' layout (title, merged headers, signature lines),
through the export path (request → manager approval → job → audited download), scoped."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from loanportal.exports import services as exports
from loanportal.exports.models import ExportStatus
from repayment_relief import case_followup as followup
from repayment_relief import case_services as services
from tests.xlsx_inspect import Book

from .factories_relief import case_submitted


@pytest.fixture(autouse=True)
def _roots(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")


def _export(client, requester, approver, kind, params, capture):
    export = exports.export_request_create(
        actor=requester, kind=kind, params=params, purpose="报送省资助中心复审"
    )
    assert export.status == ExportStatus.REQUESTED  # personal data: a manager approves first
    with capture(execute=True):
        exports.export_approve(actor=approver, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    client.force_login(requester)
    response = client.get(reverse("export-download", args=[export.pk]))
    return export, Book(b"".join(response.streaming_content))


def _merges(sheet) -> list[str]:
    return re.findall(r'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', sheet.xml)


def test_issue11_article_20_4_attachment4_in_form_layout(
    world, client, eager, django_capture_on_commit_callbacks
):
    """附件4 (第二十条（四）): title merged across, grouped headers merged, signature lines, IDs masked."""
    case = case_submitted(world)
    export, book = _export(
        client,
        world.users.county1_staff,
        world.users.county1_manager,
        "relief_att4",
        {"summary": str(case.county_summary_id)},
        django_capture_on_commit_callbacks,
    )
    assert export.row_count == 1
    sheet = next(s for s in book.sheets.values() if s.state == "visible")
    assert sheet.cells["A1"][1] == "XX县（区）生源地助学贷款还款救助申请汇总表"
    merges = _merges(sheet)
    assert "A1:L1" in merges  # the title over all 12 columns
    assert "B3:E3" in merges and "A3:A4" in merges  # 借款学生 over four columns; 序号 over both header rows
    assert sheet.cells["B3"][1] == "借款学生" and sheet.cells["B4"][1] == "姓名"
    assert sheet.cells["B5"][1] == case.borrower.name
    assert case.borrower.id_number not in sheet.xml and "*" in sheet.cells["C5"][1]
    assert any(v[1] == "负责人：" for v in sheet.cells.values())
    assert not book.any_formula()


def test_issue11_article_21_attachment5_batch_and_scope(
    world, client, eager, django_capture_on_commit_callbacks
):
    """附件5 (第二十一条（一）): the batch's cases with the bank's received date and the cutoff; counties
    may not request it."""
    case = case_submitted(world)
    province = world.users.province_officer
    services.relief_case_province_decide(actor=province, case=case, decision="pass")
    batch = services.relief_batch_create(actor=province)
    services.relief_batch_hand_over(actor=province, batch=batch, received_on=timezone.localdate())
    _, book = _export(
        client,
        province,
        world.users.province_manager,
        "relief_att5",
        {"batch": str(batch.pk)},
        django_capture_on_commit_callbacks,
    )
    sheet = next(s for s in book.sheets.values() if s.state == "visible")
    assert sheet.cells["A1"][1] == "甘肃省生源地助学贷款还款救助情况汇总表"
    assert sheet.cells["C5"][1] == case.borrower.name
    from loanportal.errors import DomainError

    with pytest.raises(DomainError):
        exports.export_request_create(
            actor=world.users.county1_staff, kind="relief_att5", params={}, purpose="报送省资助中心复审"
        )


@pytest.mark.parametrize(
    "kind, title",
    [("relief_att1", "国家助学贷款还款救助申请表Ⅰ"), ("relief_att3", "国家助学贷款还款救助公示表")],
)
def test_issue11_article_20_attachments_1_and_3(
    world, client, eager, django_capture_on_commit_callbacks, kind, title
):
    case = case_submitted(world)
    _, book = _export(
        client,
        world.users.county1_staff,
        world.users.county1_manager,
        kind,
        {},
        django_capture_on_commit_callbacks,
    )
    sheet = next(s for s in book.sheets.values() if s.state == "visible")
    assert sheet.cells["A1"][1] == title
    assert case


def test_issue11_article_26_attachment7_archive_checklist_lists_missing(
    world, client, eager, django_capture_on_commit_callbacks
):
    """附件7 (第二十六条): every attachment of each case, where it is archived, and what is missing."""
    case = case_submitted(world)
    province = world.users.province_officer
    box = followup.relief_archive_box_create(actor=province, year=2026)
    followup.relief_archive_item_add(actor=province, box=box, case=case, attachment="att1")
    _, book = _export(
        client, province, world.users.province_manager, "relief_att7", {}, django_capture_on_commit_callbacks
    )
    sheet = next(s for s in book.sheets.values() if s.state == "visible")
    values = [v[1] for v in sheet.cells.values()]
    assert "附件1 还款救助申请表Ⅰ" in values and "已归档" in values and "缺" in values
    assert str(box) in values


def test_issue11_exports_hostile_text_is_never_a_formula(
    world, client, eager, django_capture_on_commit_callbacks
):
    """Issue 7 item 5 for the relief forms: text typed by a clerk that looks like a formula stays text."""
    payload = '=HYPERLINK("http://evil.example","点我")'
    case_submitted(world, facts=payload)
    _, book = _export(
        client,
        world.users.county1_staff,
        world.users.county1_manager,
        "relief_att1",
        {},
        django_capture_on_commit_callbacks,
    )
    assert not book.any_formula()
    cells = book.text_cells(payload)
    assert cells and all(quoted for _, _, _, quoted in cells)
