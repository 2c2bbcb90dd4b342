"""Issue 8, "tried as a new user would": what the pages say and keep. Entered data survives every error,
the queue puts live rows first and pages the finished ones, wording is a sentence a clerk can act on, and
out-of-scope answers use the Chinese error pages even under DEBUG."""

import datetime
import re

import pytest
from django.utils import timezone

from applications.models import Appointment
from applications.services import lifecycle as lifecycle_services
from applications.services import queue as services
from tests.factories import valid_id
from tests.factories_intake import make_site, person
from tests.factories_lifecycle import make_application

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


@pytest.fixture
def now_morning(monkeypatch):
    moment = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(services.clock, "now", lambda: moment)
    return moment


@pytest.fixture
def site(world, now_morning):
    site = make_site(world.county1, name="榆中县受理大厅", windows=2)
    today = now_morning.date()
    services.slots_generate(actor=None, site=site, start=today, end=today + datetime.timedelta(days=2))
    return site


def test_issue8_ui_booking_error_keeps_entered_data(world, site, client_for):
    client = client_for(world.users.county1_staff)
    slot = site.slots.order_by("date", "starts_at").first()
    response = client.post(
        f"/intake/sites/{site.pk}/book/",
        {"slot": slot.pk, "name": "王晓燕", "id_number": "62012320060315001", "phone": "13912345678"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="王晓燕"' in body and 'value="13912345678"' in body and 'value="62012320060315001"' in body
    assert f'<option value="{slot.pk}" selected>' in body
    assert "身份证号" in body and "is-invalid" in body
    assert not Appointment.objects.exists()


def test_issue8_ui_booking_refused_by_the_service_keeps_entered_data(world, site, client_for):
    """A refusal from the service (same person already booked that day) also keeps the form."""
    first = person(world.county1, 1)
    slot = site.slots.order_by("date", "starts_at").first()
    services.appointment_book(actor=None, slot=slot, **first)
    client = client_for(world.users.county1_staff)
    response = client.post(f"/intake/sites/{site.pk}/book/", {"slot": slot.pk, **first})
    assert response.status_code == 400
    body = response.content.decode()
    assert "同一人同一天只能预约一次" in body and f'value="{first["id_number"]}"' in body
    assert Appointment.objects.count() == 1


def test_issue8_ui_walk_in_error_keeps_entered_data(world, site, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(
        f"/intake/sites/{site.pk}/walk-in/",
        {"walkin-name": "现场生", "walkin-id_number": "123", "walkin-phone": "13800001111"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="现场生"' in body and 'value="13800001111"' in body and 'value="123"' in body
    assert not Appointment.objects.exists()


def test_issue8_ui_booking_message_names_the_date_once(world, site, client_for):
    """Not 「11月28日 11-28 08:30–09:30」: one date, then the time range."""
    client = client_for(world.users.county1_staff)
    slot = site.slots.order_by("date", "starts_at").first()
    data = person(world.county1, 5)
    response = client.post(f"/intake/sites/{site.pk}/book/", {"slot": slot.pk, **data}, follow=True)
    text = [str(m) for m in response.context["messages"]][0]
    day = slot.date
    assert f"{day.month}月{day.day}日 {slot.starts_at:%H:%M}–{slot.ends_at:%H:%M}" in text
    assert f"{day:%m-%d}" not in text


def test_issue8_ui_queue_shows_live_rows_first_and_pages_the_finished(world, site, client_for, now_morning):
    slot = site.slots.filter(date=now_morning.date()).order_by("starts_at").first()
    slot.capacity = 40
    slot.save()
    done = []
    for n in range(25):
        a = services.appointment_book(actor=None, slot=slot, **person(world.county1, 100 + n))
        services.appointment_check_in(actor=None, appointment=a)
        services.appointment_cancel(actor=None, appointment=a, reason="测试")
        done.append(a)
    waiting = services.appointment_book(actor=None, slot=slot, **person(world.county1, 1))
    services.appointment_check_in(actor=None, appointment=waiting)
    booked = services.appointment_book(actor=None, slot=slot, **person(world.county1, 2))
    client = client_for(world.users.county1_staff)
    body = client.get(f"/intake/queue/?site={site.pk}").content.decode()
    active = body.index('data-group="active"')
    assert active < body.index('data-group="booked"') < body.index('data-group="done"')
    assert (
        active
        < body.index(f'data-appointment="{waiting.pk}"')
        < body.index(f'data-appointment="{booked.pk}"')
    )
    shown = sum(1 for a in done if f'data-appointment="{a.pk}"' in body)
    assert shown == 20  # the finished cases are paged
    page2 = client.get(f"/intake/queue/?site={site.pk}&page=2").content.decode()
    assert sum(1 for a in done if f'data-appointment="{a.pk}"' in page2) == 5
    assert "办理贷款" in body


def test_issue8_ui_cancelling_an_appointment_needs_a_reason(world, site, client_for):
    slot = site.slots.order_by("date", "starts_at").first()
    a = services.appointment_book(actor=None, slot=slot, **person(world.county1, 3))
    client = client_for(world.users.county1_staff)
    body = client.get(f"/intake/queue/?site={site.pk}&day={slot.date:%Y-%m-%d}").content.decode()
    assert "data-confirm-reason=" in body and 'name="reason"' in body
    response = client.post(f"/intake/appointments/{a.pk}/cancel/", {"reason": ""}, follow=True)
    assert "须填写取消原因" in response.content.decode()
    a.refresh_from_db()
    assert a.status == "booked"
    client.post(f"/intake/appointments/{a.pk}/cancel/", {"reason": "学生来电改期"})
    a.refresh_from_db()
    assert a.status == "cancelled"


def test_issue8_ui_queue_window_panel_refreshes_with_the_table(world, site, client_for):
    body = client_for(world.users.county1_staff).get(f"/intake/queue/?site={site.pk}").content.decode()
    assert 'id="call-panel"' in body
    assert 'hx-select-oob="#day-counts,#call-panel"' in body


def test_issue8_ui_snapshot_refresh_says_a_sentence(world, site, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(f"/intake/warnings/{world.county1.pk}/refresh/", follow=True)
    text = [str(m) for m in response.context["messages"]][0]
    assert text != "已重新计算今日受理预警：预警"
    assert text.startswith(f"{world.county1.name}今日受理预警已重新计算：")


def test_issue8_ui_repeated_receipt_says_who_entered_it_and_when(world, client_for):
    application = make_application(world, student=world.students.c1_u1, to="receipt_entered")
    client = client_for(world.users.university1_manager)
    response = client.post("/applications/receipts/", {"receipt_code": application.receipt_code})
    body = response.content.decode()
    assert "不能变更为" not in body
    officer = world.users.university1_officer
    assert f"由{officer}录入" in body and "无需重复录入" in body
    assert f"{timezone.localdate().year}年" in body


def test_issue8_ui_over_limit_error_shown_with_the_other_errors(world, client_for):
    lifecycle_services.loan_policy_for(lifecycle_services.current_loan_year())
    client = client_for(world.users.county1_staff)
    response = client.post(
        "/applications/new/",
        {
            "name": "",  # another error on the same submit
            "id_number": valid_id("620123", "20070315"),
            "university": world.university1.pk,
            "major": "化学",
            "level": "undergraduate",
            "enrolment_year": 2026,
            "study_years": 4,
            "tuition_amount": 50000,
            "accommodation_amount": 1200,
        },
    )
    body = response.content.decode()
    assert "请填写学生姓名" in body
    assert "超过本年度" in body and "年度上限" in body
    assert 'value="50000"' in body


def test_issue8_ui_signing_asks_for_confirmation(world, client_for):
    application = make_application(world, student=world.students.c1_u1, to="accepted")
    body = client_for(world.users.county1_staff).get(f"/applications/{application.pk}/").content.decode()
    form = body[body.index("/sign/") - 200 : body.index("/sign/") + 400]
    assert "data-confirm=" in form and "签订贷款合同" in form


@pytest.mark.parametrize("debug", [True, False])
def test_issue8_ui_error_pages_are_chinese_and_list_no_urls(world, client_for, settings, debug):
    settings.DEBUG = debug
    client = client_for(world.users.county1_staff)
    for url in ("/students/999999/", "/no-such-page/", f"/intake/plan/{world.county3.pk}/"):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404, url
        assert "未找到该页面或记录" in body and "URLconf" not in body and "admin/" not in body, url
    response = client.get("/audit/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()


def test_issue8_ui_server_error_page_is_chinese(rf):
    from loanportal import urls
    from loanportal.error_pages import server_error

    assert urls.handler500 == "loanportal.error_pages.server_error"
    response = server_error(rf.get("/"))
    assert response.status_code == 500 and "系统暂时无法处理" in response.content.decode()


# --- lists, names, places, dashboards ----------------------------------------------------------------


def test_issue8_ui_place_names_not_centre_names(world, client_for):
    from loanportal.templatetags.portal import place

    assert place(world.county1) == "榆中县" and place(world.city1) == "兰州市"
    application = make_application(world, student=world.students.c1_u1, to="accepted")
    client = client_for(world.users.city1_manager)
    body = client.get("/students/").content.decode()
    assert "<td>榆中县</td>" in body and "<td>榆中县学生资助管理中心</td>" not in body
    assert f'<option value="{world.county1.pk}">榆中县</option>' in body  # the filter bar too
    detail = client.get(f"/applications/{application.pk}/").content.decode()
    assert "<dt>受理县</dt><dd>榆中县</dd>" in detail
    listing = client.get("/applications/").content.decode()
    assert "<td>榆中县</td>" in listing


def test_student_list_reads_the_page_keys_first_then_its_rows(world, client_for):
    """The 学生 page asks for the page's keys alone (an index-only scan of student_county_recent for a
    county), then for those rows newest first: asked for the rows at once, PostgreSQL walked the primary key
    backwards past 1.5 million other students (0.3 s a page, make bench 2026-12-02). Same rows, same order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loanportal.models import Student

    client = client_for(world.users.county1_staff)
    client.get("/students/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/students/").content.decode()
    keys = [q["sql"] for q in queries if q["sql"].startswith('SELECT "loanportal_student"."id"')]
    keys = [sql for sql in keys if sql.split(" FROM ")[0].count(",") == 0]  # the key alone
    assert len(keys) == 1 and "LIMIT" in keys[0] and "ORDER BY" in keys[0], keys
    mine = list(
        Student.objects.filter(household_county=world.county1).order_by("-pk").values_list("pk", flat=True)
    )
    assert mine, "the world has students in county 1"
    shown = [int(pk) for pk in re.findall(r'<a href="/students/(\d+)/">', body)]
    assert shown == mine[: len(shown)] and len(shown) == min(len(mine), 50)


def test_issue8_ui_audit_log_shows_names_and_styled_filter_bar(world, client_for):
    clerk = world.users.county1_staff
    clerk.full_name = "孙丽"
    clerk.save()
    make_application(world, student=world.students.c1_u1, to="accepted")
    client = client_for(world.users.county1_manager)
    body = client.get("/audit/").content.decode()
    assert "孙丽" in body
    assert 'class="form-control' in body and "filter-bar" in body and "novalidate" in body
    found = client.get("/audit/", {"actor": "孙丽"}).content.decode()
    assert "录入贷款申请" in found
    students = client.get("/students/").content.decode()
    assert 'class="form-select' in students and 'class="form-control' in students


def test_issue8_ui_date_forms_have_no_browser_validation(world, client_for):
    """Every form leaves validation to the server, which answers in Chinese."""
    import re

    from tests.test_csp import TEMPLATES

    for path in TEMPLATES:
        for tag in re.findall(r"<form\b[^>]*>", path.read_text(encoding="utf-8")):
            assert "novalidate" in tag, (path, tag)
    client = client_for(world.users.county1_manager)
    body = client.get("/audit/", {"date_from": "2026-13-45"}).content.decode()
    assert "输入一个有效的日期" in body


@pytest.mark.parametrize("username", ["province_manager", "city1_manager", "bank_officer"])
def test_issue8_ui_overseers_see_per_county_figures(world, client_for, username):
    make_application(world, student=world.students.c1_u1, to="disbursed")
    make_application(world, actor=world.users.county3_staff, student=world.students.c3_u1, to="accepted")
    body = client_for(getattr(world.users, username)).get("/").content.decode()
    assert 'id="county-figures"' in body
    table = body[body.index('id="county-figures"') :]
    county1_row = table[table.index(f'data-county="{world.county1.pk}"') :].split("</tr>")[0]
    # one disbursed loan of 5000 + 1200, with thousands separators (loanportal.formats)
    assert "榆中县" in county1_row and ">6,200.00<" in county1_row
    if username == "city1_manager":
        assert f'data-county="{world.county3.pk}"' not in table  # another city's county
    else:
        assert f'data-county="{world.county3.pk}"' in table


def test_county_table_amounts_and_counts_have_thousands_separators(world):
    """The province dashboard's county table prints 1,234,567.00 yuan, not 1234567.00 (Django's zh_Hans
    formats group no digits; loanportal.formats groups by three with a comma); counts: 12,345."""
    from django.template.loader import render_to_string

    row = {
        "county": world.county1,
        "live": 12345,
        "signed": 0,
        "waiting_receipt": 0,
        "to_approve": 0,
        "paid": 1,
        "paid_amount": 1234567,
        "abandoned": 0,
    }
    totals = {key: value for key, value in row.items() if key != "county"}
    html = render_to_string(
        "includes/county_figures.html", {"rows": [row], "totals": totals, "year": 2026, "is_bank": False}
    )
    assert html.count(">1,234,567.00<") == 2  # the county's row and the total
    assert html.count(">12,345<") == 2
    assert "1234567" not in html and "12345<" not in html


def test_issue8_ui_county_staff_see_no_county_table(world, client_for):
    body = client_for(world.users.county1_staff).get("/").content.decode()
    assert 'id="county-figures"' not in body


def test_issue8_ui_pending_correction_reaches_the_managers(world, client_for):
    from loanportal.models import Notification
    from tests.factories import UserFactory

    second_manager = UserFactory(
        username="county1_manager2", role="county_manager", organisation=world.county1
    )
    application = make_application(world, student=world.students.c1_u1, to="contract_signed")
    requester = world.users.county1_manager
    client_for(requester).post(
        f"/applications/{application.pk}/corrections/",
        {
            "tuition_amount": 4000,
            "accommodation_amount": 1200,
            "major": application.major,
            "enrolment_year": application.enrolment_year,
            "study_years": application.study_years,
            "reason": "学费标准调整",
        },
    )
    assert application.corrections.filter(status="pending").count() == 1
    # notification: the other manager, not the requester
    assert Notification.objects.filter(
        recipient=second_manager, url=f"/applications/{application.pk}/"
    ).exists()
    assert not Notification.objects.filter(recipient=requester, title__startswith="更正待审批").exists()
    # dashboard card and list filter
    client = client_for(second_manager)
    body = client.get("/").content.decode()
    assert "待审批更正" in body and "?correction=pending" in body
    listing = client.get("/applications/", {"correction": "pending"}).content.decode()
    assert f"/applications/{application.pk}/" in listing
    other = make_application(
        world, student=world.students.c1_u4, university=world.university4, to="contract_signed"
    )
    assert f"/applications/{other.pk}/" not in listing
    assert f"/applications/{other.pk}/" in client.get("/applications/").content.decode()


def test_issue8_ui_refused_correction_keeps_what_was_typed(world, client_for):
    application = make_application(world, student=world.students.c1_u1, to="contract_signed")
    response = client_for(world.users.county1_staff).post(
        f"/applications/{application.pk}/corrections/",
        {
            "tuition_amount": 4321,
            "accommodation_amount": 1200,
            "major": "化学工程",
            "enrolment_year": application.enrolment_year,
            "study_years": application.study_years,
            "reason": "",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="4321"' in body and 'value="化学工程"' in body and "请填写更正原因" in body
    assert not application.corrections.exists()


def test_issue8_ui_refused_slot_generation_keeps_the_dates(world, site, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(f"/intake/sites/{site.pk}/slots/", {"start": "2026-08-03", "end": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="2026-08-03"' in body and "该字段是必填项" in body
