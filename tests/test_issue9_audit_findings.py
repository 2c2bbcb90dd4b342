"""Issue 9, sentences a review found without a test that could fail (docs/issue9.md lists them all).

- "memory stays flat whatever the row count (streamed from a server-side cursor, written in constant-memory
  mode)": only the bench measured it; here ten times the rows keep about the same traced peak, and the rows
  come from a named (server-side) cursor on PostgreSQL.
- "a manager of the same organisation or above who is not the requester approves or refuses": the tests had
  the requester's own manager, the city above and the province; not a manager of a sibling county or city.
- "导出 beside the filters, exporting exactly what the filters show" for a day's appointments: the queue
  page offers only active sites, the export read any visible site (an inactive one's list); the tab and the
  search were written twice (page and export), now one `queue_filter`.
- Check 5 "in every spreadsheet the portal writes": the route walk's hostile text reached four export kinds;
  the relief forms, the money forms, the class reminder list and the public notice wrote files with no
  hostile row. Each is proven here with a hostile name in its own data; the county summary's merged titles
  (the county's name first) had no quote prefix.
- "Aggregate-only tables need no approval": a guard that no kind with personal columns skips approval.
- 受理预警 每周数据: only "the file is generated" was tested; now the file's weeks are the page's table.
"""

import datetime
import tracemalloc

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from loanportal.exports import services
from loanportal.exports.definitions import application_rows, appointment_rows, audit_rows
from loanportal.exports.models import ExportStatus
from loanportal.exports.registry import definition_get
from loanportal.exports.writer import Watermark, write_export
from loanportal.roles import Role
from tests.factories import StudentFactory, UserFactory, valid_id
from tests.factories_intake import DAY, booking_on_day
from tests.factories_lifecycle import make_application
from tests.xlsx_inspect import Book

MB = 1024 * 1024


def _peak_of_writing(rows: int, row: list, path) -> int:
    definition = definition_get("applications")
    watermark = Watermark(
        number="DC-TEST", title=definition.title, requester="甲", approver="乙", generated_at=row[-1]
    )
    tracemalloc.start()
    try:
        written = write_export(definition, (list(row) for _ in range(rows)), path=path, watermark=watermark)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert written == rows
    return peak


def test_issue9_export_memory_stays_flat_whatever_the_row_count(world, tmp_path):
    """The export writer keeps no row: 20,000 rows peak at about what 2,000 do. A writer that kept the cells
    (xlsxwriter without constant_memory) or the rows would need ten times as much (> 20 MB more here)."""
    make_application(world)
    row = next(application_rows(user=world.users.county1_staff, params={}))
    small = _peak_of_writing(2_000, row, tmp_path / "small.xlsx")
    large = _peak_of_writing(20_000, row, tmp_path / "large.xlsx")
    assert large < small * 1.5 + 2 * MB, (small, large)


def _open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '\\_django\\_curs\\_%'")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("rows_of", [application_rows, audit_rows], ids=["applications", "audit_log"])
def test_issue9_export_rows_stream_from_a_server_side_cursor(world, rows_of):
    """Reading the first row leaves a named cursor open on the server: the rows are fetched in chunks, not
    loaded whole into the worker (Django's iterator() without a named cursor would read them all at once)."""
    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's")
    make_application(world)
    before = _open_cursors()
    rows = rows_of(user=world.users.county1_manager, params={})
    assert next(rows)
    assert _open_cursors() == before + 1
    rows.close()


@pytest.mark.parametrize(
    ("approver", "may_decide"),
    [
        ("county1_manager", True),  # the requester's own organisation
        ("city1_manager", True),  # the city above it
        ("province_manager", True),  # the province decides for everyone
        ("county2_manager", False),  # a manager of another county in the same city
        ("city2_manager", False),  # a manager of another city
        ("university1_manager", False),
        ("province_officer", False),  # above, but not a manager
        ("county1_staff", False),  # the requester
    ],
)
def test_issue9_export_approver_is_a_manager_of_the_requesters_organisation_or_above(
    world, api_for, approver, may_decide
):
    make_application(world)
    UserFactory(username="county2_manager", role=Role.COUNTY_MANAGER, organisation=world.county2)
    UserFactory(username="city2_manager", role=Role.CITY_MANAGER, organisation=world.city2)
    users = {u.username: u for u in type(world.users.county1_staff).objects.all()}
    export = services.export_request_create(
        actor=world.users.county1_staff, kind="applications", params={}, purpose="报送市资助中心核对"
    )
    actor = users[approver]
    assert services.export_can_decide(user=actor, export=export) is may_decide
    response = api_for(actor).post(f"/api/v1/exports/{export.pk}/approve/", {}, format="json")
    export.refresh_from_db()
    if may_decide:
        assert response.status_code == 200, response.content
        assert export.status == ExportStatus.APPROVED and export.decided_by == actor
    else:
        assert response.status_code in (403, 404), response.content
        assert export.status == ExportStatus.REQUESTED and export.decided_by is None


def test_issue9_appointments_export_lists_the_site_the_queue_page_shows_never_an_inactive_one(
    world, client_for
):
    """The queue page offers the county's active sites only; asked for an inactive one it shows its default
    (the first active site, today). The export, given the same parameters, lists the same rows and freezes
    that site: not the inactive site's list, which no page shows."""
    staff = world.users.county1_staff
    active = booking_on_day(world.county1, name="在用点学生").site
    closed = booking_on_day(world.county1, name="停用点学生").site
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    params = {"site": str(closed.pk), "day": DAY.isoformat()}

    page = client_for(staff).get(reverse("intake-queue"), params).content.decode()
    assert "停用点学生" not in page
    assert f"appointments_day/?site={active.pk}&amp;day=" in page  # the page's 导出 names what it shows

    names = [row[4] for row in appointment_rows(user=staff, params=params)]
    assert "停用点学生" not in names
    assert definition_get("appointments_day").frozen(user=staff, params=params)["site"] == str(active.pk)
    # the active site's day, asked for by the page's own link, is exported as listed
    shown = {"site": str(active.pk), "day": DAY.isoformat()}
    assert [row[4] for row in appointment_rows(user=staff, params=shown)] == ["在用点学生"]


def test_issue9_appointments_export_filters_by_the_queue_pages_own_tab_and_search(world, client_for):
    """The 显示 tab and the 查找 box: one function (views/intake/queue.py `queue_filter`) for the page and its
    export, so the file names exactly the people the page lists."""
    from applications.models import Appointment

    staff = world.users.county1_staff
    first = booking_on_day(world.county1, name="甲同学")
    Appointment.objects.create(
        county=world.county1,
        site=first.site,
        slot=first.slot,
        date=DAY,
        name="乙同学",
        id_number=valid_id(world.county1.code, "20080301"),
        phone="13800001236",
        status="served",
    )
    client = client_for(staff)
    for extra, listed in (
        ({}, {"甲同学", "乙同学"}),
        ({"show": "done"}, {"乙同学"}),
        ({"q": "甲"}, {"甲同学"}),
    ):
        params = {"site": str(first.site.pk), "day": DAY.isoformat(), **extra}
        page = client.get(reverse("intake-queue"), params).content.decode()
        assert {name for name in ("甲同学", "乙同学") if name in page} == listed, extra
        assert {row[4] for row in appointment_rows(user=staff, params=params)} == listed, extra


# --- check 5, export by export: the hostile text has to reach each form for the check to prove anything ---

PAYLOAD = '=HYPERLINK("http://x","y")'


def _written(kind: str, user, params: dict, path) -> Book:
    definition = definition_get(kind)
    rows = (user, params) if definition.layout is not None else definition.rows(user=user, params=params)
    mark = Watermark(
        number="DC-T", title=definition.title, requester="甲", approver="乙", generated_at=timezone.now()
    )
    write_export(definition, rows, path=path, watermark=mark)
    return Book(path.read_bytes())


def _assert_payload_is_quoted_text(book, kind: str) -> None:
    assert not book.any_formula(), kind
    cells = book.text_cells(PAYLOAD)
    assert cells, f"{kind}: the hostile text did not reach the file"
    assert all(cell_kind in ("s", "inlineStr", "str") and quoted for _, _, cell_kind, quoted in cells), kind


def test_issue9_check5_relief_case_forms_write_a_hostile_borrower_name_as_text(world, settings, tmp_path):
    """附件1–5 and 7 (form layouts): a borrower named =HYPERLINK(…) is a quote-prefixed text cell in each."""
    from repayment_relief import case_followup, case_services
    from tests.factories_relief import case_in_county_review, notice_of_last_fortnight, open_case

    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")
    student = StudentFactory(name=PAYLOAD, household_county=world.county1, university=world.university1)
    case = case_in_county_review(world, student=student)
    notice_of_last_fortnight(world, case)  # 附件3 lists the cases' 公示
    manager = world.users.county1_manager
    case_services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    summary = case_services.county_summary_create(actor=manager, county=case.county)
    case_services.county_summary_submit(actor=manager, summary=summary)
    case.refresh_from_db()
    # 附件2 is the form of categories 5a/5b: a second borrower of that kind, as opened
    open_case(world, student=StudentFactory(name=PAYLOAD, household_county=world.county1), category="5b")
    province = world.users.province_officer
    case_services.relief_case_province_decide(actor=province, case=case, decision="pass")
    batch = case_services.relief_batch_create(actor=province)
    case_services.relief_batch_hand_over(actor=province, batch=batch, received_on=timezone.localdate())
    box = case_followup.relief_archive_box_create(actor=province, year=2026)
    case_followup.relief_archive_item_add(actor=province, box=box, case=case, attachment="att1")
    county = world.users.county1_staff
    for kind, user, params in (
        ("relief_att1", county, {}),
        ("relief_att2", county, {}),
        ("relief_att3", county, {}),
        ("relief_att4", county, {"summary": str(case.county_summary_id)}),
        ("relief_att5", province, {"batch": str(batch.pk)}),
        ("relief_att7", province, {}),
    ):
        _assert_payload_is_quoted_text(_written(kind, user, params, tmp_path / f"{kind}.xlsx"), kind)


def test_issue9_check5_relief_money_forms_write_a_hostile_borrower_name_as_text(world, tmp_path):
    """附件6 and the 资金划付清单: the same for the money forms."""
    from deadlines.services import calendar_run
    from repayment_relief import bank_amounts
    from repayment_relief.disbursements import disbursement_prepare
    from tests.factories_relief_money import batch_received, fund, handed_over_case

    batch = batch_received(world, received_on=datetime.date(2026, 3, 12))
    student = StudentFactory(name=PAYLOAD, household_county=world.county1)
    case = handed_over_case(world, category="1", batch=batch, student=student)
    calendar_run(as_of=datetime.date(2026, 3, 20))
    line = bank_amounts.bank_amount_enter(
        actor=world.users.bank_officer,
        case=case,
        contract=case.contracts.get(),
        values={"principal": "24000.00", "interest": "168.00"},
    )
    bank_amounts.bank_amount_accept(actor=world.users.province_officer, line=line)
    fund(world, reserve="50000")
    paid = disbursement_prepare(actor=world.users.province_officer, year=2026)
    province = world.users.province_officer
    for kind, params in (("relief_att6", {}), ("relief_disbursement", {"batch": str(paid.pk)})):
        _assert_payload_is_quoted_text(_written(kind, province, params, tmp_path / f"{kind}.xlsx"), kind)


def test_issue9_check5_renewal_class_reminders_write_a_hostile_name_as_text(world, tmp_path):
    """未提交续贷声明学生名单: a student named =HYPERLINK(…) in a class named the same."""
    from deadlines.rules import loan_year_number
    from renewals.services import renewal_declare, renewal_review

    year = loan_year_number(timezone.localdate())
    student = StudentFactory(
        name=PAYLOAD,
        household_county=world.county1,
        university=world.university1,
        class_name=PAYLOAD,
        enrolment_year=year - 2,
        study_years=4,
    )
    last = renewal_declare(
        actor=None, student=student, year=year - 1, tuition_amount=4000, contract_number="C"
    )
    renewal_review(actor=world.users.university1_officer, declaration=last, decision="approve")
    book = _written("renewal_class_reminders", world.users.university1_officer, {}, tmp_path / "r.xlsx")
    _assert_payload_is_quoted_text(book, "renewal_class_reminders")


def test_issue9_check5_public_notice_writes_a_hostile_student_name_as_text(world, tmp_path):
    """贷款学生公示名单: a student named =HYPERLINK(…) on a published notice (the route walk had no notice)."""
    from applications.services import summaries
    from tests.factories_lifecycle import open_calendar

    open_calendar(2026)
    application = make_application(world, to="contract_signed")
    # a name no form accepts, written to the table as older data or another system might hold it
    type(application.student).objects.filter(pk=application.student_id).update(name=PAYLOAD)
    notice = summaries.public_notice_publish(
        actor=None,
        county=world.county1,
        year=2026,
        place="榆中县学生资助管理中心公告栏",
        starts_on=datetime.date(2026, 10, 12),
        ends_on=datetime.date(2026, 10, 16),
    )
    params = {"notice": str(notice.pk)}
    book = _written("public_notice", world.users.county1_staff, params, tmp_path / "notice.xlsx")
    _assert_payload_is_quoted_text(book, "public_notice")


# Column headers that make a table personal data in the issue's words: "a name plus ID, phone, address,
# family or health data" (姓名 in every form: 学生姓名, 申请人姓名), and the audit log's free text.
PERSONAL_HEADERS = ("姓名", "身份证", "电话", "住址", "家庭", "健康", "病", "对象", "原因")


def test_issue9_export_every_kind_with_personal_columns_needs_approval():
    """ "Aggregate-only tables (counts and sums) need no approval": a kind may skip the manager's approval
    only when no column is personal, or when it says why (the uploader's own error report)."""
    from loanportal.exports.registry import ID_NUMBER, PHONE, definitions_all

    kinds = [*definitions_all(), definition_get("import_error_report")]
    assert len(kinds) > 15
    for definition in kinds:
        personal = [
            c.header
            for c in definition.columns
            if c.kind in (ID_NUMBER, PHONE) or any(word in c.header for word in PERSONAL_HEADERS)
        ]
        if personal:
            assert definition.personal, (definition.name, personal)
        if not definition.needs_approval:
            assert not personal or definition.approval_exempt, (definition.name, personal)


def test_issue9_check5_county_summary_title_starting_with_a_hostile_county_name_is_quoted_text(
    world, tmp_path
):
    """申请汇总表 + 公示情况说明 (form layout): the only text at a cell's start that is not the form's own is the
    county's name in the merged titles; a name starting =HYPERLINK( is a quote-prefixed text cell."""
    from applications.services.summaries import county_summary_generate

    summary = county_summary_generate(actor=world.users.county1_staff, county=world.county1, year=2026)
    type(world.county1).objects.filter(pk=world.county1.pk).update(name=PAYLOAD)
    params = {"summary": str(summary.pk)}
    book = _written("county_summary", world.users.county1_manager, params, tmp_path / "summary.xlsx")
    assert not book.any_formula()
    titles = [
        (name, ref, quoted)
        for name, sheet in book.sheets.items()
        for ref, (kind, value, _, quoted) in sheet.cells.items()
        if (value or "").startswith(PAYLOAD)
    ]
    assert len(titles) == 2, titles  # the summary's title and the statement's
    assert all(quoted for *_, quoted in titles), titles


def test_issue9_warning_weekly_export_holds_the_pages_weekly_table(world, client_for):
    """受理预警 逐周统计 and its 导出每周数据: the same weeks, the same figures (the page's window and the export's
    are two constants each; this holds them together)."""
    from loanportal.exports.definitions import warning_weekly_rows
    from tests.factories_intake import make_site, make_slots

    today = timezone.localdate()
    site = make_site(world.county1)
    make_slots(site, start=today - datetime.timedelta(days=55), end=today + datetime.timedelta(days=6))
    manager = world.users.county1_manager
    page = client_for(manager).get(reverse("intake-warning-county", args=[world.county1.pk]))
    keys = ("start", "end", "capacity", "booked", "share", "served", "no_show", "walk_in")
    shown = [[week[k] for k in keys] for week in page.context["weeks"]]
    params = definition_get("intake_warning_weekly").frozen(
        user=manager, params={"county": str(world.county1.pk)}
    )
    exported = [row[1:] for row in warning_weekly_rows(user=manager, params=params)]
    assert len(shown) >= 4 and any(row[2] for row in shown)  # weeks with capacity, not an empty table
    assert exported == shown


def test_issue9_warning_daily_export_holds_the_days_of_the_pages_two_charts(world, client_for):
    """受理预警 导出每日数据 (issue 9: "exporting exactly what the filters show"): the days of the page's charts —
    逐日办结人数（近14天） and 未来8天 可预约容量与已预约 — one row a day, zeros included, with the charts' figures;
    not the 57 days of the weekly table (the export read a window of its own)."""
    from loanportal.exports.definitions import warning_daily_rows
    from tests.factories_intake import make_site, make_slots

    today = timezone.localdate()
    site = make_site(world.county1)
    make_slots(site, start=today - datetime.timedelta(days=40), end=today + datetime.timedelta(days=20))
    manager = world.users.county1_manager
    chart = (
        client_for(manager).get(reverse("intake-warning-county", args=[world.county1.pk])).context["chart"]
    )
    params = definition_get("intake_warning_daily").frozen(
        user=manager, params={"county": str(world.county1.pk)}
    )
    exported = list(warning_daily_rows(user=manager, params=params))
    days = [row[1] for row in exported]
    labels = chart["history"]["labels"] + chart["ahead"]["labels"][1:]  # today is in both charts
    assert [f"{d.month}月{d.day}日" for d in days] == labels
    assert days == [today + datetime.timedelta(days=n) for n in range(-13, 8)]
    by_day = {row[1]: row for row in exported}
    history = [by_day[d] for d in days[:14]]
    ahead = [by_day[d] for d in days[13:]]
    assert [row[4] for row in history] == chart["history"]["served"]
    assert [row[5] for row in history] == chart["history"]["no_show"]
    assert [row[2] for row in ahead] == chart["ahead"]["capacity"]
    assert [row[3] for row in ahead] == chart["ahead"]["booked"]
    assert any(chart["ahead"]["capacity"])  # slots ahead: the figures compared are not all zero
