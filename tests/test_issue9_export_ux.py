"""Issue 9 export flow as people meet it: every kind says its filter in Chinese, the audit log names
actions, object types and the system in Chinese, dead ends say why and offer 重新申请, the file holds the
approved rows, full numbers mean the same on form layouts, decided requests leave no unread to-do, and
two managers deciding one request at once get one decision (check 7)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from loanportal.audit import audit_record
from loanportal.exports import services
from loanportal.exports.models import ExportRequest, ExportStatus
from loanportal.models import AuditEvent, Notification
from tests.xlsx_inspect import Book

from .concurrency import race
from .factories import is_postgresql


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")


def _request(user, kind, params=None, **kwargs):
    kwargs.setdefault("purpose", "报送市资助中心核对数据")
    return services.export_request_create(actor=user, kind=kind, params=params or {}, **kwargs)


def _approve_and_run(capture, export, approver, **kwargs):
    with capture(execute=True):
        services.export_approve(actor=approver, export=export, **kwargs)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    return export


def _book(client, export) -> Book:
    response = client.get(reverse("export-download", args=[export.pk]))
    assert response.status_code == 200
    return Book(b"".join(response.streaming_content))


def _info(book: Book) -> dict:
    sheet = book.sheets["导出信息"]
    cells = {ref: value for ref, (_, value, *_rest) in sheet.cells.items()}
    labels = {ref[1:]: value for ref, value in cells.items() if ref.startswith("A")}
    return {label: cells.get(f"B{row}", "") for row, label in labels.items()}


# --- 1. the filter in Chinese, for every kind --------------------------------------------------------------


def test_issue9_export_every_kind_describes_its_filter_in_chinese(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    from tests.factories_intake import DAY, make_site

    staff, manager = world.users.county1_staff, world.users.county1_manager
    site = make_site(world.county1)
    cases = [
        (
            staff,
            "pre_applications",
            {"basis": "registered_poor", "year": "2026"},
            ["预申请依据：建档立卡贫困户", "贷款年度：2026"],
        ),
        (staff, "appointments_day", {"site": str(site.pk), "day": DAY.isoformat()}, [f"受理点：{site.name}"]),
        (manager, "audit_log", {"action": "export.requested"}, ["操作：申请导出", "截至申请时"]),
        (staff, "intake_warning_daily", {"county": str(world.county1.pk)}, ["县：榆中县", "日期："]),
        (staff, "intake_warning_weekly", {"county": str(world.county1.pk)}, ["县：榆中县", "日期："]),
    ]
    for requester, kind, params, expected in cases:
        page = client_for(requester).get(reverse("export-new", args=[kind]), params).content.decode()
        assert "与列表页面的筛选一致" not in page, kind
        assert all(text in page for text in expected), (kind, expected)
        with django_capture_on_commit_callbacks(execute=True):  # a summary table is generated at once
            export = _request(requester, kind, params)
        assert all(text in export.filter_summary for text in expected), (kind, export.filter_summary)
        detail = client_for(requester).get(reverse("export-detail", args=[export.pk])).content.decode()
        assert all(text in detail for text in expected), kind
        if export.personal:
            approver = world.users.city1_manager
            pending = client_for(approver).get(reverse("export-pending")).content.decode()
            assert all(text in pending for text in expected), kind
            export = _approve_and_run(django_capture_on_commit_callbacks, export, approver)
        else:
            export.refresh_from_db()
        assert export.status == ExportStatus.READY, (kind, export.error)
        info = _info(_book(client_for(requester), export))
        assert all(text in info["筛选条件"] for text in expected), (kind, info)


# --- 2. the audit log in Chinese -------------------------------------------------------------------------


def test_issue9_audit_log_names_export_actions_object_type_and_system_in_chinese(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    first = _approve_and_run(django_capture_on_commit_callbacks, _request(staff, "pre_applications"), manager)
    client_for(staff).get(reverse("export-download", args=[first.pk]))
    page = client_for(manager).get(reverse("audit-search")).content.decode()
    for code in (
        "export.requested",
        "export.approved",
        "export.running",
        "export.ready",
        "export.downloaded",
    ):
        assert f">{code}<" not in page, code
    assert "申请导出" in page and "批准导出" in page and "导出文件已生成" in page and "下载导出文件" in page
    assert ">system<" not in page and "系统" in page
    # the 操作 filter is a select of the known actions by name
    assert '<select name="action"' in page and '<option value="export.approved">批准导出</option>' in page
    picked = client_for(manager).get(reverse("audit-search"), {"action": "export.ready"}).content.decode()
    assert "导出文件已生成" in picked and "申请导出" not in picked.split("<tbody>")[1]
    by_name = client_for(manager).get(reverse("audit-search"), {"action": "下载导出"}).content.decode()
    assert "下载导出文件" in by_name.split("<tbody>")[1] and "批准导出" not in by_name.split("<tbody>")[1]

    fragment = _request(manager, "audit_log", {"action": "export"})  # an older link's code fragment
    assert fragment.filter_summary.startswith("操作（名称或代码含）：export")
    export = _approve_and_run(
        django_capture_on_commit_callbacks,
        _request(manager, "audit_log", {"object_repr": first.number}),
        world.users.city1_manager,
    )
    sheet = _book(client_for(manager), export).sheets["审计日志摘录"]
    values = [value for _, value, *_ in sheet.cells.values()]
    assert not any(str(v).startswith("export.") for v in values)
    assert "loanportal.exportrequest" not in values and "导出申请" in values
    assert "system" not in values and "系统" in values and "下载导出文件" in values


# --- 3. dead ends: why, and 重新申请 -------------------------------------------------------------------------


def test_issue9_export_used_up_says_why_and_offers_a_new_request(
    world, client_for, eager, django_capture_on_commit_callbacks, settings
):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    params = {"basis": "registered_poor"}
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(staff, "pre_applications", params), manager
    )
    client = client_for(staff)
    for _ in range(settings.EXPORT_MAX_DOWNLOADS):
        assert client.get(reverse("export-download", args=[export.pk])).status_code == 200
    assert client.get(reverse("export-download", args=[export.pk])).status_code == 404  # check 3 stays
    detail = client.get(reverse("export-detail", args=[export.pk])).content.decode()
    assert "下载次数已用完" in detail and 'id="export-again"' in detail
    assert "export-status-expired" in detail and "export-status-ready" not in detail  # not shown as 可下载
    listed = client.get(reverse("export-list")).content.decode()
    assert "export-status-expired text-bg-secondary" in listed and "可下载" not in listed
    api = APIClient()
    api.force_authenticate(staff)
    body = api.get(f"/api/v1/exports/{export.pk}/").json()
    assert "下载次数已用完" in body["unavailable_reason"] and "again" in body["actions"]
    again = client.get(reverse("export-again", args=[export.pk])).content.decode()
    assert "预申请依据：建档立卡贫困户" in again and export.purpose in again and export.number in again
    # another user (even the approver) cannot re-request someone else's export
    assert client_for(manager).get(reverse("export-again", args=[export.pk])).status_code == 404
    client = client_for(staff)
    response = client.post(reverse("export-again", args=[export.pk]), {"purpose": export.purpose})
    new = ExportRequest.objects.exclude(pk=export.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("export-detail", args=[new.pk])
    assert (new.kind, new.purpose, new.status) == (export.kind, export.purpose, ExportStatus.REQUESTED)
    assert new.params["basis"] == "registered_poor" and new.filter_summary == export.filter_summary


def test_issue9_export_past_its_time_or_refused_says_why(
    world, client_for, eager, django_capture_on_commit_callbacks, settings
):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(staff, "pre_applications"), manager
    )
    ExportRequest.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client = client_for(staff)
    assert client.get(reverse("export-download", args=[export.pk])).status_code == 404
    detail = client.get(reverse("export-detail", args=[export.pk])).content.decode()
    assert f"已超过{settings.EXPORT_DOWNLOAD_HOURS}小时有效期" in detail and 'id="export-again"' in detail

    refused = services.export_refuse(
        actor=manager, export=_request(staff, "pre_applications"), reason="用途不明确"
    )
    detail = client_for(staff).get(reverse("export-detail", args=[refused.pk])).content.decode()
    assert "已被拒绝：用途不明确" in detail and 'id="export-again"' in detail
    pending = _request(staff, "pre_applications")
    detail = client_for(staff).get(reverse("export-detail", args=[pending.pk])).content.decode()
    assert 'id="export-again"' not in detail
    assert client_for(staff).get(reverse("export-again", args=[pending.pk])).status_code == 404


# --- 4. the approved rows, exactly; the masking note only where there are numbers -------------------------


def test_issue9_audit_export_holds_exactly_the_rows_approved(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    for _ in range(3):
        _request(staff, "pre_applications")  # three export.requested rows in county1
    export = _request(manager, "audit_log", {"action": "export.requested"})
    assert export.total_rows == 3  # the request's own row comes after the count
    audit_record(actor=staff, action="export.requested", obj=export, organisation=world.county1)  # later
    export = _approve_and_run(django_capture_on_commit_callbacks, export, world.users.city1_manager)
    assert export.row_count == export.total_rows == 3
    info = _info(_book(client_for(manager), export))
    assert info["行数"] == "3" and info["申请及审批时行数"] == "3" and "说明" not in info


def test_issue9_export_masking_note_only_for_kinds_with_numbers(world, client_for):
    manager = world.users.county1_manager
    audit = client_for(manager).get(reverse("export-new", args=["audit_log"])).content.decode()
    assert "默认打码" not in audit and "full_numbers" not in audit
    pre = client_for(manager).get(reverse("export-new", args=["pre_applications"])).content.decode()
    assert "身份证号与电话默认打码" in pre and 'name="full_numbers"' in pre


# --- 5. full numbers on form layouts --------------------------------------------------------------------------


def test_issue9_export_full_numbers_apply_to_form_layouts(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    from .factories_relief import case_submitted

    case = case_submitted(world)
    staff, manager = world.users.county1_staff, world.users.county1_manager
    id_number = case.borrower.id_number
    params = {"case": str(case.pk)}
    masked = _approve_and_run(
        django_capture_on_commit_callbacks,
        _request(staff, "relief_att1", params, full_numbers=True),
        manager,
    )
    assert masked.row_count == 1 and not masked.full_numbers
    book = _book(client_for(staff), masked)
    assert not book.text_cells(id_number) and book.text_cells(id_number[:3] + "*" * 11 + id_number[-4:])
    covered = _approve_and_run(
        django_capture_on_commit_callbacks,
        _request(staff, "relief_att1", params, full_numbers=True),
        manager,
        full_numbers=True,
    )
    assert covered.full_numbers
    assert _book(client_for(staff), covered).text_cells(id_number)


# --- 6. decided requests leave no unread to-do; the manager's card ----------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_issue9_export_decision_reads_the_pending_notification_of_every_approver(
    world, eager, django_capture_on_commit_callbacks, decision
):
    staff = world.users.county1_staff
    approvers = [world.users.county1_manager, world.users.city1_manager, world.users.province_manager]
    export = _request(staff, "pre_applications")
    key = f"export-requested-{export.pk}"
    assert Notification.objects.filter(dedupe_key=key, read_at__isnull=True).count() == len(approvers)
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "approve":
            services.export_approve(actor=world.users.city1_manager, export=export)
        else:
            services.export_refuse(actor=world.users.city1_manager, export=export, reason="用途不明确")
    assert Notification.objects.filter(dedupe_key=key).count() == len(approvers)
    assert not Notification.objects.filter(dedupe_key=key, read_at__isnull=True).exists()


def test_issue9_export_pending_card_counts_each_managers_own_decisions(world, client_for, settings):
    settings.DASHBOARD_CARD_SECONDS = 60  # shared cards on: the export card must still be per user
    county_manager, city_manager = world.users.county1_manager, world.users.city1_manager
    _request(world.users.county1_staff, "pre_applications")
    _request(county_manager, "pre_applications")  # the county manager's own: not theirs to decide

    def card(user):
        page = client_for(user).get(reverse("dashboard")).content.decode()
        block = page.split("待审批导出", 1)[1]
        assert reverse("export-pending") in block.split("</div>\n  </div>", 1)[0]
        return int(block.split('class="stat-value">', 1)[1].split("<", 1)[0])

    assert card(county_manager) == 1
    assert card(city_manager) == 2
    assert (
        "待审批导出" not in client_for(world.users.county1_staff).get(reverse("dashboard")).content.decode()
    )


# --- 8. badges ------------------------------------------------------------------------------------------------------


def test_issue9_export_list_uses_the_detail_pages_status_badges(world, client_for):
    staff = world.users.county1_staff
    export = _request(staff, "pre_applications")
    services.export_refuse(actor=world.users.county1_manager, export=export, reason="用途不明确")
    _request(staff, "pre_applications")
    page = client_for(staff).get(reverse("export-list")).content.decode()
    assert "text-bg-light" not in page
    assert "badge export-status-refused text-bg-danger" in page
    assert "badge export-status-requested text-bg-info" in page


# --- 7. two managers decide one request at once -------------------------------------------------------------------


def test_issue9_export_race_approve_against_refuse_gives_one_decision(live_world, settings, tmp_path):
    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL row locks")
    world = live_world
    export = _request(world.users.county1_staff, "pre_applications")

    def post(user, action, body):
        def job():
            api = APIClient()
            api.force_authenticate(user)
            return api.post(f"/api/v1/exports/{export.pk}/{action}/", body, format="json").status_code

        return job

    statuses = race(
        post(world.users.county1_manager, "approve", {"note": "同意"}),
        post(world.users.city1_manager, "refuse", {"reason": "用途不明确"}),
    )
    assert sorted(statuses) == [200, 409], statuses
    export.refresh_from_db()
    decided = AuditEvent.objects.filter(
        object_pk=str(export.pk), action__in=["export.approved", "export.refused"]
    )
    assert decided.count() == 1
    if decided.get().action == "export.refused":
        assert export.status == ExportStatus.REFUSED
    else:
        assert export.status != ExportStatus.REFUSED
    winner = world.users.county1_manager if statuses[0] == 200 else world.users.city1_manager
    assert export.decided_by_id == winner.pk


def test_issue9_export_request_stored_without_a_description_is_described_from_its_params(world, client_for):
    staff = world.users.county1_staff
    export = _request(staff, "pre_applications", {"basis": "registered_poor"})
    ExportRequest.objects.filter(pk=export.pk).update(filter_summary="")  # as stored before this fix
    detail = client_for(staff).get(reverse("export-detail", args=[export.pk])).content.decode()
    assert "预申请依据：建档立卡贫困户" in detail and "与列表页面的筛选一致" not in detail
