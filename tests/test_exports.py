"""The export service (issue 9 "One export path", protection checks 3 and 5) and formula injection in every
spreadsheet the portal writes (issue 7 item 5). Policy: notice 二十一 — no export of loan data or student
information without the responsible person's approval."""

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, PreApplicationImport
from deadlines.services import current_loan_year
from loanportal.audit import audit_record
from loanportal.exports import services
from loanportal.exports.models import ExportRequest, ExportStatus
from loanportal.exports.preapplications import error_report_workbook, template_workbook
from loanportal.models import AuditEvent, Notification, Student
from tests.factories import valid_id
from tests.factories_lifecycle import make_application
from tests.xlsx_inspect import Book

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = pytest.mark.usefixtures("today")

PAYLOAD = '=HYPERLINK("http://x","y")'
HOSTILE = [PAYLOAD, "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1", "\x00=1+1"]


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")


def _assert_text_everywhere(book: Book, values):
    assert not book.any_formula()
    for value in values:
        expected = value.replace("\x00", "").replace("\r", "\n")  # XML readers normalise CR to LF
        cells = book.text_cells(expected)
        assert cells, f"{value!r} not written"
        for _, ref, kind, quoted in cells:
            assert kind in ("s", "inlineStr", "str"), (ref, kind)
            assert quoted, f"{ref}: formula-like text without quote prefix"


# --- issue 7 item 5: every spreadsheet the portal writes -----------------------------------------------


def test_issue7_5_error_report_writes_hyperlink_name_as_text_cell():
    errors = [
        {"row": 3 + i, "column": "A", "header": "姓名", "name": value, "message": value}
        for i, value in enumerate(HOSTILE)
    ]
    book = Book(error_report_workbook(errors))
    _assert_text_everywhere(book, HOSTILE)
    assert book.sheets["错误说明"].cells["A2"][:2] == ("n", "3")  # row numbers stay numbers


def test_issue7_5_error_report_download_keeps_the_formula_as_text(world, client_for):
    batch = PreApplicationImport.objects.create(
        county=world.county1,
        year=2026,
        file_name="名单.xlsx",
        succeeded=False,
        errors=[
            {"row": 2, "column": "A", "header": "姓名", "name": PAYLOAD, "message": "姓名含有不允许的字符"}
        ],
        created_by=world.users.county1_staff,
    )
    response = client_for(world.users.county1_staff).get(
        reverse("preapplication-import-errors", args=[batch.pk])
    )
    assert response.status_code == 200
    _assert_text_everywhere(Book(response.content), [PAYLOAD])


def test_issue7_5_template_download_has_no_formula_and_keeps_its_dropdown(world, client_for):
    response = client_for(world.users.county1_staff).get(reverse("preapplication-template"))
    book = Book(response.content)
    assert not book.any_formula()
    sheet = book.sheets["预申请名单"]
    assert "<dataValidation" in sheet.xml and 'type="list"' in sheet.xml
    assert sheet.cells["D2"][:2] == ("s", "620123")
    # A hostile "county code" (the only variable) would still be text.
    _assert_text_everywhere(Book(template_workbook(county_code=PAYLOAD)), [PAYLOAD])


# --- issue 9: the export path -------------------------------------------------------------------------


def _county3_application(world):
    Student.objects.filter(pk=world.students.c3_u1.pk).update(name="秦安生")
    world.students.c3_u1.refresh_from_db()
    return make_application(world, actor=world.users.county3_staff, student=world.students.c3_u1)


@pytest.fixture
def applications(world):
    own = make_application(world)
    other = make_application(
        world,
        student={"name": "第二名", "id_number": valid_id(world.county1.code, "20070202")},
        co_borrower={"id_number": valid_id(world.county1.code, "19710101")},
    )
    return {"own": own, "second": other, "county3": _county3_application(world)}


def _request(user, kind="applications", params=None, **kwargs):
    kwargs.setdefault("purpose", "报送市资助中心核对受理数据")
    return services.export_request_create(actor=user, kind=kind, params=params or {}, **kwargs)


def _approve_and_run(django_capture_on_commit_callbacks, export, approver, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(actor=approver, export=export, **kwargs)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    return export


def _download(client, export):
    return client.get(reverse("export-download", args=[export.pk]))


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_issue9_export_no_download_before_approval(world, applications, client_for, api_for):
    staff = world.users.county1_staff
    export = _request(staff)
    assert export.status == ExportStatus.REQUESTED
    assert _download(client_for(staff), export).status_code == 404
    assert api_for(staff).get(f"/api/v1/exports/{export.pk}/download/").status_code == 404
    assert not list((services.export_root()).glob("*.xlsx"))
    # The county's manager was told there is something to approve.
    assert Notification.objects.filter(recipient=world.users.county1_manager, category="export").exists()


def test_issue9_export_requester_cannot_approve_their_own(world, applications, api_for):
    manager = world.users.county1_manager
    export = _request(manager)
    response = api_for(manager).post(f"/api/v1/exports/{export.pk}/approve/", {}, format="json")
    assert response.status_code == 403 and "自己" in response.json()["detail"]
    with pytest.raises(services.PermissionDeniedError):
        services.export_approve(actor=manager, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED and export.decided_by is None
    # Staff, a manager of another county or a university do not even see it.
    assert (
        api_for(world.users.county1_staff).post(f"/api/v1/exports/{export.pk}/approve/", {}).status_code
        == 404
    )
    assert api_for(world.users.university1_manager).get(f"/api/v1/exports/{export.pk}/").status_code == 404


def test_issue9_export_approved_download_is_audited_with_row_count_and_sha256(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = _request(staff)
    export = _approve_and_run(django_capture_on_commit_callbacks, export, manager)
    assert export.row_count == 2 and export.decided_by == manager
    assert Notification.objects.filter(recipient=staff, title__startswith="导出文件已生成").exists()

    response = _download(client_for(staff), export)
    assert response.status_code == 200
    content = _content(response)
    digest = hashlib.sha256(content).hexdigest()
    assert digest == export.sha256

    events = AuditEvent.objects.filter(object_type="loanportal.exportrequest", object_pk=str(export.pk))
    actions = list(events.order_by("pk").values_list("action", flat=True))
    assert actions == [
        "export.requested",
        "export.approved",
        "export.running",
        "export.ready",
        "export.downloaded",
    ]
    requested = events.get(action="export.requested")
    assert requested.actor == staff and requested.reason == "报送市资助中心核对受理数据"
    assert events.get(action="export.approved").actor == manager
    ready = events.get(action="export.ready")
    assert ready.new["row_count"] == 2 and ready.new["sha256"] == digest
    downloaded = events.get(action="export.downloaded")
    assert downloaded.actor == staff
    assert downloaded.new == {"download": 1, "row_count": 2, "sha256": digest}


def test_issue9_export_only_the_requester_downloads(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(world.users.county1_staff), world.users.county1_manager
    )
    assert _download(client_for(world.users.county1_manager), export).status_code == 404
    assert _download(client_for(world.users.county2_staff), export).status_code == 404


def test_issue9_export_expired_link_is_404(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(staff), world.users.county1_manager
    )
    ExportRequest.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _download(client_for(staff), export).status_code == 404
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert not (services.export_root() / export.file_path).exists()  # the file is gone
    assert AuditEvent.objects.filter(action="export.expired", object_pk=str(export.pk)).exists()
    assert _download(client_for(staff), export).status_code == 404


def test_issue9_export_used_up_link_is_404(
    world, applications, client_for, settings, eager, django_capture_on_commit_callbacks
):
    settings.EXPORT_MAX_DOWNLOADS = 2
    staff = world.users.county1_staff
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(staff), world.users.county1_manager
    )
    client = client_for(staff)
    assert _download(client, export).status_code == 200
    assert _download(client, export).status_code == 200
    assert _download(client, export).status_code == 404
    assert AuditEvent.objects.filter(action="export.downloaded", object_pk=str(export.pk)).count() == 2
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED


def test_issue9_export_scope_county_manager_gets_only_their_county(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    """A county manager's export (approved by the city) holds only that county's applications."""
    manager = world.users.county1_manager
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(manager), world.users.city1_manager
    )
    book = Book(_content(_download(client_for(manager), export)))
    cells = book.sheets["生源地助学贷款申请汇总表"].cells
    counties = {cells[f"C{row}"][1] for row in range(2, 2 + export.row_count)}
    assert counties == {"榆中县"}  # the place, not the centre (生源地助学贷款申请汇总表 names places)
    names = {cells[f"E{row}"][1] for row in range(2, 2 + export.row_count)}
    assert "秦安生" not in names and export.row_count == 2
    ids = {a.pk for a in Application.objects.filter(county=world.county1)}
    assert {int(cells[f"A{row}"][1]) for row in range(2, 2 + export.row_count)} == ids


def test_issue9_export_follows_the_list_filters(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    export = _request(staff, params={"q": "第二"})
    assert export.total_rows == 1 and "第二" in export.filter_summary
    export = _approve_and_run(django_capture_on_commit_callbacks, export, world.users.county1_manager)
    book = Book(_content(_download(client_for(staff), export)))
    assert book.sheets["生源地助学贷款申请汇总表"].cells["E2"][1] == "第二名"
    assert "E3" not in book.sheets["生源地助学贷款申请汇总表"].cells


def test_issue9_export_cells_typed_masked_and_formula_safe(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    """Numbers as numbers, dates as dates, IDs as masked text; hostile text stays text (check 5)."""
    application = applications["own"]
    Student.objects.filter(pk=application.student_id).update(
        name=PAYLOAD, address="@SUM(A1)", department="-2+3"
    )
    staff = world.users.county1_staff
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(staff, params={"q": "=HYP"}), world.users.county1_manager
    )
    assert export.row_count == 1
    content = _content(_download(client_for(staff), export))
    book = Book(content)
    _assert_text_everywhere(book, [PAYLOAD, "@SUM(A1)", "-2+3"])
    cells = book.sheets["生源地助学贷款申请汇总表"].cells
    headers = [cells[f"{col}1"][1] for col in "ABCDEFGHIJKLMNOPQRSTUVWXY"]
    assert headers[:6] == ["系统编号", "贷款年度", "受理县", "所属市", "学生姓名", "身份证号"]

    def cell(header):
        return cells["ABCDEFGHIJKLMNOPQRSTUVWXY"[headers.index(header)] + "2"]

    assert cell("学费贷款金额（元）")[:2] == ("n", "5000")
    assert cell("贷款年度")[0] == "n"
    id_number = application.student.id_number
    assert cell("身份证号")[0] in ("s", "inlineStr")
    assert cell("身份证号")[1] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert cell("联系电话")[1] == "138****5678"
    created = cell("创建时间")
    assert created[0] == "n" and float(created[1]) > 40000  # an Excel date serial, not text
    local = timezone.localtime(Application.objects.get(pk=application.pk).created_at)
    serial = float(created[1])
    as_datetime = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=serial)
    assert abs(as_datetime - local.replace(tzinfo=None)) < datetime.timedelta(seconds=1)  # Asia/Shanghai
    assert id_number not in str(book.sheets["生源地助学贷款申请汇总表"].xml)
    # The file opens in openpyxl with the same values and types (the rows are streamed as XML).
    import io

    from openpyxl import load_workbook

    opened = load_workbook(io.BytesIO(content))
    sheet = opened["生源地助学贷款申请汇总表"]
    assert sheet.cell(2, 5).value == PAYLOAD and sheet.cell(2, 5).data_type == "s"
    assert sheet.cell(2, 15).value == 5000 and isinstance(sheet.cell(2, 25).value, datetime.datetime)
    assert opened["导出信息"].sheet_state == "hidden"


def test_issue9_export_full_numbers_only_when_the_approval_covers_them(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    id_number = applications["own"].student.id_number
    asked = _request(staff, full_numbers=True)
    not_covered = _approve_and_run(django_capture_on_commit_callbacks, asked, world.users.county1_manager)
    book = Book(_content(_download(client_for(staff), not_covered)))
    assert id_number not in book.sheets["生源地助学贷款申请汇总表"].xml and not book.text_cells(id_number)
    covered = _approve_and_run(
        django_capture_on_commit_callbacks,
        _request(staff, full_numbers=True),
        world.users.county1_manager,
        full_numbers=True,
    )
    assert covered.full_numbers
    book = Book(_content(_download(client_for(staff), covered)))
    assert book.text_cells(id_number)


def test_issue9_export_watermark_in_header_footer_and_hidden_sheet(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = _approve_and_run(django_capture_on_commit_callbacks, _request(staff), manager)
    book = Book(_content(_download(client_for(staff), export)))
    data = book.sheets["生源地助学贷款申请汇总表"]
    assert "<oddHeader>" in data.xml and staff.username in data.xml and manager.username in data.xml
    assert "<oddFooter>" in data.xml and export.number in data.xml
    info = book.sheets["导出信息"]
    assert info.state == "hidden"
    values = {v for _, v, _, _ in info.cells.values()}
    assert export.number in values and "2" in values
    assert any(manager.username in v for v in values) and any(staff.username in v for v in values)


def test_issue9_export_aggregate_table_needs_no_approval(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request_create(actor=staff, kind="county_progress", params={"year": "2026"})
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.decided_by is None and not export.personal
    book = Book(_content(_download(client_for(staff), export)))
    cells = book.sheets["生源地助学贷款年度分县进度表"].cells
    assert cells["C2"][1] == "榆中县" and cells["E2"][:2] == ("n", "2")
    assert "A3" not in cells  # a county user sees its own county only


def test_issue9_export_job_is_idempotent_by_state(
    world, applications, eager, django_capture_on_commit_callbacks
):
    export = _approve_and_run(
        django_capture_on_commit_callbacks, _request(world.users.county1_staff), world.users.county1_manager
    )
    assert services.export_generate(pk=export.pk) is None  # redelivered message: nothing to do
    assert AuditEvent.objects.filter(action="export.ready", object_pk=str(export.pk)).count() == 1
    assert len(list(services.export_root().glob("*.xlsx"))) == 1


def test_issue9_export_refuse_needs_a_reason_and_tells_the_requester(world, applications, api_for):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = _request(staff)
    api = api_for(manager)
    assert api.post(f"/api/v1/exports/{export.pk}/refuse/", {}, format="json").status_code == 400
    response = api.post(f"/api/v1/exports/{export.pk}/refuse/", {"reason": "用途不明确"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "refused"
    assert Notification.objects.filter(recipient=staff, title__startswith="导出未获批准").exists()
    assert api.post(f"/api/v1/exports/{export.pk}/approve/", {}, format="json").status_code == 409


@pytest.mark.parametrize("body", [[None, None], "x", [1], 5])
@pytest.mark.parametrize("endpoint", ["create", "approve", "refuse"])
def test_issue9_export_api_bodies_that_are_not_objects_are_400(world, applications, api_for, body, endpoint):
    staff, manager = world.users.county1_staff, world.users.county1_manager
    export = _request(staff)
    if endpoint == "create":
        response = api_for(staff).post("/api/v1/exports/", body, format="json")
    else:
        response = api_for(manager).post(f"/api/v1/exports/{export.pk}/{endpoint}/", body, format="json")
    assert response.status_code == 400, response.content
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED


def test_issue9_export_api_request_status_progress(world, applications, api_for):
    staff = world.users.county1_staff
    api = api_for(staff)
    response = api.post(
        "/api/v1/exports/",
        {"kind": "applications", "params": {"status": "accepted"}, "purpose": "核对受理数据"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested" and body["progress"] == 0 and body["total_rows"] == 2
    assert api.get(f"/api/v1/exports/{body['id']}/").json()["actions"] == []
    manager_view = api_for(world.users.county1_manager).get(f"/api/v1/exports/{body['id']}/").json()
    assert manager_view["actions"] == ["approve", "refuse"]
    bad = api.post("/api/v1/exports/", {"kind": "nope", "purpose": "核对受理数据"}, format="json")
    assert bad.status_code == 400
    no_purpose = api.post("/api/v1/exports/", {"kind": "applications"}, format="json")
    assert no_purpose.status_code == 400 and "用途" in no_purpose.json()["detail"]
    audit = api_for(world.users.county1_staff).post(
        "/api/v1/exports/", {"kind": "audit_log", "purpose": "核对"}, format="json"
    )
    assert audit.status_code == 403  # the audit extract is for managers


def test_issue9_export_pages_offer_export_beside_the_filters(world, applications):
    from django.test import Client

    staff = world.users.county1_staff
    client, manager_client = Client(), Client()
    client.force_login(staff)
    manager_client.force_login(world.users.county1_manager)
    page = client.get(reverse("application-list") + "?status=accepted").content.decode()
    assert 'id="export-applications"' in page and "/exports/new/applications/?status=accepted" in page
    assert 'id="export-pre_applications"' in client.get(reverse("preapplication-list")).content.decode()
    assert 'id="export-audit_log"' in manager_client.get(reverse("audit-search")).content.decode()
    warning = client.get(reverse("intake-warning-county", args=[world.county1.pk])).content.decode()
    assert 'id="export-intake_warning_daily"' in warning and 'id="export-intake_warning_weekly"' in warning
    new = client.get(reverse("export-new", args=["applications"]) + "?status=accepted")
    assert new.status_code == 200 and 'id="export-total">2<' in new.content.decode()
    response = client.post(
        reverse("export-new", args=["applications"]) + "?status=accepted", {"purpose": "核对受理数据"}
    )
    export = ExportRequest.objects.get()
    # the list's default loan year is frozen into the request (issue 9: the file keeps the year shown)
    assert response.status_code == 302 and export.params == {
        "status": "accepted",
        "year": str(current_loan_year()),
    }
    detail = client.get(reverse("export-detail", args=[export.pk])).content.decode()
    assert "等待负责人审批" in detail and "export-approve-form" not in detail
    pending = manager_client.get(reverse("export-pending")).content.decode()
    assert export.number in pending
    assert (
        "export-approve-form"
        in manager_client.get(reverse("export-detail", args=[export.pk])).content.decode()
    )
    assert export.number in client.get(reverse("export-list")).content.decode()
    progress = client.get(reverse("export-progress")).content.decode()
    assert world.county1.name in progress and 'id="export-county_progress"' in progress
    assert client.get(reverse("export-new", args=["nope"])).status_code == 404


def test_issue9_export_progress_bar_polls_without_inline_script(
    world, applications, client_for, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    export = _request(staff)
    with django_capture_on_commit_callbacks(execute=False):  # approved, job not yet run
        services.export_approve(actor=world.users.county1_manager, export=export)
    html = client_for(staff).get(reverse("export-status", args=[export.pk])).content.decode()
    assert 'hx-trigger="every' in html and "<progress" in html and "<script" not in html
    assert " on" not in html.split("<progress")[0].split("hx-get")[0][-5:]


def test_issue9_export_every_definition_writes_scoped_safe_files(
    world, applications, eager, django_capture_on_commit_callbacks, client_for
):
    """Each registered export runs end to end for a county manager (approved by the city when personal);
    hostile text from a pre-application list, a booking and the audit log stays text (check 5)."""
    from applications.models import PreApplication
    from loanportal.exports.registry import definitions_all
    from tests.factories_intake import DAY, booking_on_day

    manager = world.users.county1_manager
    PreApplication.objects.create(
        year=2026,
        county=world.county1,
        name=PAYLOAD,
        id_number=valid_id(world.county1.code, "20080101"),
        basis="national_grant",
        high_school="@一中",
        phone="13800001234",
        note="-1+1",
        source="manual",
        created_by=world.users.county1_staff,
    )
    site = booking_on_day(world.county1, name=PAYLOAD).site
    audit_record(actor=manager, action="test.hostile", object_type="x", object_repr=PAYLOAD)
    params = {
        "pre_applications": {},
        "appointments_day": {"site": str(site.pk), "day": DAY.isoformat()},
        "intake_warning_daily": {"county": str(world.county1.pk)},
        "intake_warning_weekly": {"county": str(world.county1.pk)},
        "audit_log": {"object_repr": "HYPERLINK"},
        "county_progress": {"year": "2026"},
        "applications": {},
        "county_summary": {"summary": str(_county_summary(world).pk)},
        "public_notice": {"notice": "999999"},  # none in scope: the six headers, no rows
    }
    client = client_for(manager)
    queue = client.get(reverse("intake-queue") + f"?site={site.pk}&day={DAY.isoformat()}").content.decode()
    assert 'id="export-appointments_day"' in queue and f"appointments_day/?site={site.pk}&amp;day=" in queue
    for definition in definitions_all():
        # a university's own form (e.g. the class reminder list) runs for a university officer instead
        requester, approver = manager, world.users.city1_manager
        if manager.role not in definition.roles:
            requester, approver = world.users.university1_officer, world.users.university1_manager
        if requester.role not in definition.roles:  # e.g. 附件5 (province and bank only)
            requester, approver = world.users.province_officer, world.users.province_manager
        with django_capture_on_commit_callbacks(execute=True):
            export = services.export_request_create(
                actor=requester,
                kind=definition.name,
                params=params.get(definition.name, {}),
                purpose="核对本单位数据",
            )
        if definition.personal:
            export = _approve_and_run(django_capture_on_commit_callbacks, export, approver)
        export.refresh_from_db()
        assert export.status == ExportStatus.READY, (definition.name, export.error)
        book = Book(_content(_download(client_for(requester), export)))
        assert not book.any_formula(), definition.name
        assert list(book.sheets)[0] == definition.title[:31]
        if definition.name in ("pre_applications", "appointments_day", "audit_log"):
            assert export.row_count >= 1, definition.name
            _assert_text_everywhere(book, [PAYLOAD])
        if definition.name == "pre_applications":
            _assert_text_everywhere(book, ["@一中", "-1+1"])


def _county_summary(world):
    from applications.services.summaries import county_summary_generate

    return county_summary_generate(actor=world.users.county1_staff, county=world.county1, year=2026)


def test_issue9_export_hostile_filters_are_400_not_500(world, client_for):
    client = client_for(world.users.county1_staff)
    many = "&".join(f"k{i}=v" for i in range(30))
    assert client.get(reverse("export-new", args=["applications"]) + "?" + many).status_code == 400
    long = client.get(reverse("export-new", args=["applications"]) + "?q=" + "x" * 500)
    assert long.status_code == 400
    odd = client.get(reverse("export-new", args=["applications"]) + "?status=%00&q=%3Cscript%3E")
    assert odd.status_code == 200 and "<script>" not in odd.content.decode().split("</nav>")[-1]


def test_issue9_export_follows_the_pending_corrections_box(world, applications):
    from applications.models import ApplicationCorrection

    staff = world.users.county1_staff
    assert _request(staff, params={"correction": "pending"}).total_rows == 0
    ApplicationCorrection.objects.create(
        application=applications["second"], changes={"major": "数学"}, reason="录错", requested_by=staff
    )
    export = _request(staff, params={"correction": "pending"})
    assert export.total_rows == 1 and "待审批更正" in export.filter_summary
