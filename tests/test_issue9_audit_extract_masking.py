"""The audit-log extract (审计日志摘录, managers) masks ID numbers and phones found in its free text — an
object's name, a reason someone typed — since it has no number columns an approval could cover (issue 9:
"IDs and phones are masked unless the approval explicitly covers full numbers"). Policy: notice 二十一."""

import pytest
from django.urls import reverse

from loanportal.audit import audit_record
from loanportal.exports import services
from loanportal.exports.models import ExportStatus
from tests.factories import valid_id
from tests.xlsx_inspect import Book

ID_NUMBER = valid_id("620123", "20060606")
PHONE = "13987654321"


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")


def test_issue9_notice_21_audit_extract_masks_numbers_in_free_text(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    """Notice 二十一: approved without full numbers (the only way for this kind), the extract shows
    620***********xxxx and 139****4321 where a reason or an object's name held them in full."""
    manager, province = world.users.county1_manager, world.users.province_manager
    audit_record(
        actor=manager,
        action="student.updated",
        object_type="loanportal.student",
        object_pk=1,
        object_repr=f"学生 张三 {ID_NUMBER}",
        reason=f"家长来电 {PHONE} 要求更正",
        organisation=world.county1,
    )
    export = services.export_request_create(
        actor=manager, kind="audit_log", params={"action": "student.updated"}, purpose="季度审计检查"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(actor=province, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.row_count == 1 and not export.full_numbers
    response = client_for(manager).get(reverse("export-download", args=[export.pk]))
    xml = "".join(s.xml for s in Book(b"".join(response.streaming_content)).sheets.values())
    assert ID_NUMBER not in xml and PHONE not in xml
    assert ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:] in xml and "139****4321" in xml
    assert "家长来电" in xml and "张三" in xml
