"""Import error reports go through the one export service (issue 9 "One export path": every spreadsheet the
portal offers; the watermark and audit with row count and SHA-256; IDs and phones masked). Policy: notice 二十一
(no student information leaves without the responsible person's approval — the report holds only what its
uploader sent in, so it needs none: loanportal/exports/import_reports.py) and relief measures 第二十七条
(controlled copying: watermark, limits, audited downloads)."""

import hashlib

import pytest
from django.urls import reverse

from applications.models import BankStatusImport, PreApplicationImport
from loanportal.errors import DomainError
from loanportal.exports import services
from loanportal.exports.import_reports import KIND
from loanportal.exports.models import ExportRequest, ExportStatus
from loanportal.models import AuditEvent, Notification
from tests.factories import valid_id
from tests.xlsx_inspect import Book

PAYLOAD = '=HYPERLINK("http://x","y")'
ID_NUMBER = valid_id("620102", "20070101")


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def batch(world):
    return PreApplicationImport.objects.create(
        county=world.county1,
        year=2026,
        file_name="一中名单.xlsx",
        succeeded=False,
        errors=[
            {"row": 3, "column": "A", "header": "姓名", "name": PAYLOAD, "message": "姓名含有不允许的字符"},
            # a report stored before reports masked their messages: masked when written all the same
            {
                "row": 4,
                "column": "F",
                "header": "联系电话",
                "name": "张三",
                "message": f"填写的是{ID_NUMBER}",
            },
            {"row": 5, "column": "F", "header": "联系电话", "name": "李四", "message": "重复：13812345678"},
        ],
        created_by=world.users.county1_staff,
    )


def test_issue9_error_report_is_watermarked_masked_and_audited_like_any_export(world, batch, client_for):
    """Notice 二十一 / 第二十七条: the uploader's report carries the watermark (header, footer, hidden sheet),
    numbers masked, and the audit log holds the request, the approval reason, the file's row count and
    SHA-256 and the download."""
    staff = world.users.county1_staff
    response = client_for(staff).get(reverse("preapplication-import-errors", args=[batch.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    content = _content(response)
    export = ExportRequest.objects.get(kind=KIND)
    assert export.requested_by == staff and export.status == ExportStatus.READY and export.download_count == 1
    assert export.row_count == 3 and export.sha256 == hashlib.sha256(content).hexdigest()
    assert "%E4%B8%80%E4%B8%AD%E5%90%8D%E5%8D%95-" in response["Content-Disposition"]  # 一中名单-错误报告-DC…

    book = Book(content)
    data = book.sheets["导入错误报告"]
    assert "<oddHeader>" in data.xml and staff.username in data.xml
    assert "<oddFooter>" in data.xml and export.number in data.xml
    assert [data.cells[f"{c}1"][1] for c in "ABCDE"] == ["行号", "列", "列名", "姓名", "错误说明"]
    assert data.cells["A2"][:2] == ("n", "3")  # row numbers stay numbers
    assert not book.any_formula()
    assert all(quoted for _, _, _, quoted in book.text_cells(PAYLOAD))
    assert "13812345678" not in data.xml and "138****5678" in data.xml
    assert ID_NUMBER not in data.xml and ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:] in data.xml
    info = book.sheets["导出信息"]
    assert info.state == "hidden"
    values = {v for _, v, _, _ in info.cells.values()}
    assert export.number in values and "无需审批（上传人本人的导入错误报告）" in values
    assert any("一中名单.xlsx" in v for v in values) and any(staff.username in v for v in values)

    events = {e.action: e for e in AuditEvent.objects.filter(object_pk=str(export.pk))}
    assert {
        "export.requested",
        "export.approved",
        "export.running",
        "export.ready",
        "export.downloaded",
    } <= set(events)
    assert events["export.approved"].reason == "上传人本人的导入错误报告，无需审批"
    assert (
        events["export.ready"].new["sha256"] == export.sha256 and events["export.ready"].new["row_count"] == 3
    )
    assert events["export.downloaded"].new == {"download": 1, "row_count": 3, "sha256": export.sha256}
    detail = client_for(staff).get(reverse("export-detail", args=[export.pk])).content.decode()
    assert "无需审批（上传人本人的导入错误报告）" in detail
    # handed out at once: no 导出文件已生成 notification, no approver asked
    assert not Notification.objects.filter(title__contains="导入错误报告").exists()


def test_issue9_error_report_only_for_its_uploader(world, batch, client_for):
    """Notice 二十一: someone else in scope reads the errors on the page; a copy of another's upload is not
    handed out without approval (404, nothing made, no link on the page)."""
    manager = world.users.county1_manager
    client = client_for(manager)
    assert client.get(reverse("preapplication-import-errors", args=[batch.pk])).status_code == 404
    page = client.get(reverse("preapplication-import-detail", args=[batch.pk])).content.decode()
    assert "仅上传人本人可以下载" in page and 'id="error-report-download"' not in page
    assert not ExportRequest.objects.exists()
    own = client_for(world.users.county1_staff)
    page = own.get(reverse("preapplication-import-detail", args=[batch.pk])).content.decode()
    assert 'id="error-report-download"' in page


def test_issue9_error_report_downloads_are_limited_then_a_new_file(world, batch, client_for, settings):
    """第二十七条 controlled copying: one file serves the download limit, each download audited; then a new
    request (and file) is made rather than a fourth download of the old one."""
    client = client_for(world.users.county1_staff)
    url = reverse("preapplication-import-errors", args=[batch.pk])
    digests = {
        hashlib.sha256(_content(client.get(url))).hexdigest() for _ in range(settings.EXPORT_MAX_DOWNLOADS)
    }
    first = ExportRequest.objects.get(kind=KIND)
    assert digests == {first.sha256}
    first.refresh_from_db()
    assert first.download_count == settings.EXPORT_MAX_DOWNLOADS
    assert AuditEvent.objects.filter(object_pk=str(first.pk), action="export.downloaded").count() == 3
    assert client.get(url).status_code == 200
    assert ExportRequest.objects.filter(kind=KIND).count() == 2
    first.refresh_from_db()
    assert first.status == ExportStatus.EXPIRED


def test_issue9_error_report_is_not_requestable(world, batch, api_for):
    """Notice 二十一: the report kind is the uploader's hand-out, not an export anyone may ask for."""
    staff = world.users.county1_staff
    with pytest.raises(DomainError):
        services.export_request_create(
            actor=staff,
            kind=KIND,
            params={"source": "pre_applications", "batch": str(batch.pk)},
            purpose="看看别人",
        )
    response = api_for(staff).post(
        "/api/v1/exports/",
        {
            "kind": KIND,
            "params": {"source": "pre_applications", "batch": str(batch.pk)},
            "purpose": "核对名单",
        },
        format="json",
    )
    assert response.status_code == 400
    assert not ExportRequest.objects.exists()


def test_issue9_bank_status_error_report_goes_the_same_way(world, client_for):
    """Notice 二十一 / 第二十七条: the bank's error report is watermarked and audited too; the province's
    staff (who may see the batch) do not get the bank officer's copy."""
    officer = world.users.bank_officer
    batch = BankStatusImport.objects.create(
        organisation=world.bank,
        file_name="国开行审批.xlsx",
        succeeded=False,
        errors=[{"row": 2, "column": "B", "header": "合同号", "name": "王五", "message": "合同号不存在"}],
        created_by=officer,
    )
    response = client_for(officer).get(reverse("bank-status-import-errors", args=[batch.pk]))
    assert response.status_code == 200
    export = ExportRequest.objects.get(kind=KIND)
    book = Book(_content(response))
    assert book.sheets["导出信息"].state == "hidden" and export.number in book.sheets["导入错误报告"].xml
    assert AuditEvent.objects.filter(object_pk=str(export.pk), action="export.downloaded").count() == 1
    province = world.users.province_officer
    assert client_for(province).get(reverse("bank-status-import-errors", args=[batch.pk])).status_code in (
        403,
        404,
    )
