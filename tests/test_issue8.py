"""Issue 8, "Wrong behaviour": one test per item, each failing on the code before the fix. Refused writes
assert that nothing changed (state, rows, audit rows)."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from applications.models import Application, ApplicationCorrection, Appointment
from applications.selectors import actions
from applications.services import lifecycle as services
from applications.services import queue as intake_services
from applications.services.preapplications import (
    pre_application_add,
    pre_application_restore,
    pre_application_withdraw,
)
from applications.states import APPLICATION_CLOSED as CLOSED_STATES
from deadlines.engine import calendar_run
from deadlines.services import key_date_extend, key_date_get, loan_year_ensure
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent
from loanportal.roles import Role
from tests import factories_intake
from tests.factories import UserFactory, valid_id
from tests.factories_intake import at, make_site, make_slots, person
from tests.factories_lifecycle import (
    STEP_DAY,
    bank_approval_open,
    intake_kwargs,
    make_application,
    open_calendar,
)

pytestmark = pytest.mark.django_db
clock = factories_intake.clock  # the fixture

ROOT = Path(__file__).resolve().parent.parent


def _audit_count(obj) -> int:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_pk=str(obj.pk)).count()


# --- re-application after a closed application -------------------------------------------------------


def _pre_applied(world):
    clerk = world.users.county1_staff
    id_number = valid_id(world.county1.code, "20070315")
    pre = pre_application_add(
        actor=clerk,
        county=world.county1,
        year=2026,
        name="预申请生",
        id_number=id_number,
        basis="registered_poor",
    )
    student = {"name": "预申请生", "id_number": id_number}
    return pre, student


def _close(world, application, close: str):
    manager = world.users.county1_manager
    if close == "abandoned":
        return services.application_transition(
            actor=None, application=application, to="abandoned", reason="逾期未录入回执"
        )
    if close == "bank_declined":
        return services.application_transition(
            actor=world.users.bank_officer,
            application=application,
            to="bank_declined",
            reason="征信不符合要求",
            on=STEP_DAY["bank_declined"],
        )
    return services.application_transition(
        actor=manager, application=application, to=close, reason="学生放弃"
    )


@pytest.mark.parametrize(
    ("close", "state_before"),
    [
        ("withdrawn", "accepted"),
        ("rejected", "accepted"),
        ("abandoned", "contract_signed"),
        ("bank_declined", "receipt_confirmed"),
    ],
)
def test_issue8_reapplication_after_a_closed_application(world, close, state_before):
    """Closing the application gives the pre-application back to the list (audited) and the student can
    apply again as pre-applied (notice 三(六)) instead of "该学生未纳入预申请名单"."""
    open_calendar(2026)
    pre, student = _pre_applied(world)
    application = make_application(world, to=state_before, student=student, commitment_accepted=False)
    assert application.pre_application_id == pre.pk
    pre.refresh_from_db()
    assert pre.status == "applied"

    _close(world, application, close)

    pre.refresh_from_db()
    assert pre.status == "listed"
    event = AuditEvent.objects.filter(
        object_type="applications.preapplication", object_pk=str(pre.pk), action="pre_application.listed"
    ).get()
    assert event.old == {"status": "applied"} and event.new == {"status": "listed"}
    again = services.application_create(
        actor=world.users.county1_staff,
        **intake_kwargs(world, student=student, commitment_accepted=False, check_window=False),
    )
    assert again.status == "accepted" and again.pre_application_id == pre.pk
    assert not again.commitment_accepted  # pre-applied: no written commitment needed


def test_issue8_restore_promised_by_the_refusal_exists(world, client_for):
    """ "已撤销，可在本县名单中恢复": the restore exists, for the county, with a reason, audited; a listed entry
    cannot be restored (409, nothing changed)."""
    pre, _ = _pre_applied(world)
    clerk = world.users.county1_staff
    audit_before = _audit_count(pre)
    with pytest.raises(ConflictError):
        pre_application_restore(actor=clerk, pre_application=pre, reason="误操作")
    assert _audit_count(pre) == audit_before
    pre_application_withdraw(actor=clerk, pre_application=pre, reason="重复列入")
    with pytest.raises(PermissionDeniedError):
        pre_application_restore(actor=world.users.county2_staff, pre_application=pre, reason="误操作")
    pre.refresh_from_db()
    assert pre.status == "withdrawn"
    client = client_for(clerk)
    assert "恢复预申请" in client.get(f"/pre-applications/{pre.pk}/").content.decode()
    response = client.post(f"/pre-applications/{pre.pk}/restore/", {"reason": "核实后符合条件"})
    assert response.status_code == 302
    pre.refresh_from_db()
    assert pre.status == "listed"
    assert AuditEvent.objects.filter(object_pk=str(pre.pk), action="pre_application.listed").exists()


# --- closing intake with a called appointment ----------------------------------------------------------

LAST_DAY = datetime.date(2026, 9, 20)
AFTER = datetime.date(2026, 9, 21)


def test_issue8_intake_close_with_appointments_in_every_state(world, clock):
    """notice 八: the day after the last intake day, the close cancels booked and checked-in appointments
    after the window; a student already called to a window is still served (left to the clerk); served,
    no-show and cancelled ones are left alone. The close of the county no longer rolls back."""
    loan_year_ensure(year=2026)
    clerk = world.users.county1_staff
    clock(at(datetime.date(2026, 9, 1), 8))
    site = make_site(world.county1, windows=3)
    make_slots(site, start=AFTER, end=AFTER)
    slot = site.slots.order_by("starts_at").first()
    rows = [
        intake_services.appointment_book(actor=clerk, slot=slot, **person(world.county1, n)) for n in range(6)
    ]
    booked, checked_in, called, served, no_show, cancelled = rows
    clock(at(AFTER, 8, 30))
    windows = list(site.windows.order_by("number"))
    for appointment, window in ((served, windows[0]), (no_show, windows[1]), (called, windows[2])):
        intake_services.appointment_check_in(actor=clerk, appointment=appointment)
        intake_services.appointment_call_next(actor=clerk, window=window)
    intake_services.appointment_serve(actor=clerk, appointment=served)
    intake_services.appointment_no_show(actor=clerk, appointment=no_show, reason="未到窗口")
    intake_services.appointment_check_in(actor=clerk, appointment=checked_in)
    intake_services.appointment_cancel(actor=clerk, appointment=cancelled, reason="学生改约")
    untouched = {a.pk: _audit_count(a) for a in (called, served, no_show, cancelled)}

    calendar_run(as_of=AFTER)

    status = dict(Appointment.objects.filter(county=world.county1).values_list("pk", "status"))
    assert status == {
        booked.pk: "cancelled",
        checked_in.pk: "cancelled",
        called.pk: "called",
        served.pk: "served",
        no_show.pk: "no_show",
        cancelled.pk: "cancelled",
    }
    assert {a.pk: _audit_count(a) for a in (called, served, no_show, cancelled)} == untouched
    reason = AuditEvent.objects.get(object_pk=str(booked.pk), action="appointment.cancelled").reason
    assert "7月15日至9月20日" in reason
    # the called student is still served after the close, and a second run changes nothing
    intake_services.appointment_serve(actor=clerk, appointment=called)
    rows = AuditEvent.objects.filter(action__startswith="appointment.").count()
    calendar_run(as_of=AFTER)
    assert Appointment.objects.get(pk=called.pk).status == "served"
    assert AuditEvent.objects.filter(action__startswith="appointment.").count() == rows


# --- maker–checker shown right: one actions function for pages, API and services ------------------------


def test_issue8_maker_checker_pages_and_api_show_only_allowed_actions(world, client_for, api_for):
    """The manager who entered the application sees no 批准 for its correction (the service refuses
    them); another manager of the county does. The API exposes the same actions."""
    open_calendar(2026)
    entering_manager = world.users.county1_manager
    other_manager = UserFactory(
        username="county1_manager2", role=Role.COUNTY_MANAGER, organisation=world.county1
    )
    application = make_application(world, actor=entering_manager, to="contract_signed")
    correction = services.correction_request(
        actor=world.users.county1_staff,
        application=application,
        changes={"tuition_amount": 4000},
        reason="学费录入有误",
    )
    page = client_for(entering_manager).get(f"/applications/{application.pk}/").content.decode()
    assert 'value="approve"' not in page
    assert (
        actions.correction_actions_for(user=entering_manager, correction=correction, application=application)
        == []
    )
    audit_before = _audit_count(application)
    with pytest.raises(PermissionDeniedError):
        services.correction_decide(actor=entering_manager, correction=correction, approve=True)
    correction.refresh_from_db()
    application.refresh_from_db()
    assert correction.status == "pending" and application.tuition_amount == 5000
    assert _audit_count(application) == audit_before

    page = client_for(other_manager).get(f"/applications/{application.pk}/").content.decode()
    assert 'value="approve"' in page and 'value="reject"' in page

    # the API: available_actions per user, the very moves the services accept
    staff_view = api_for(world.users.county1_staff).get(f"/api/v1/applications/{application.pk}/").json()
    assert staff_view["available_actions"] == ["withdraw"]  # receipts are entered by code, by the university
    accepted = make_application(world)
    staff_view = api_for(world.users.county1_staff).get(f"/api/v1/applications/{accepted.pk}/").json()
    assert staff_view["available_actions"] == ["sign", "return", "reject", "withdraw"]
    university_view = api_for(world.users.university1_officer).get(f"/api/v1/applications/{accepted.pk}/")
    assert university_view.json()["available_actions"] == []


def test_issue8_detail_page_buttons_are_the_actions_function(world, client_for):
    """detail.html renders exactly application_actions_for: a university officer sees no county button,
    a county clerk of another county gets 404, the bank sees 审批 buttons only on handed-over cases."""
    open_calendar(2026)
    confirmed = make_application(world, to="receipt_confirmed")
    # past the bank's deadline (11/20) the buttons are not offered — the service would refuse them
    assert actions.application_actions_for(user=world.users.bank_officer, application=confirmed) == []
    bank_approval_open(world)
    bank_page = client_for(world.users.bank_officer).get(f"/applications/{confirmed.pk}/").content.decode()
    assert "银行审批通过" in bank_page and "银行审批不通过" in bank_page
    codes = [
        a.code for a in actions.application_actions_for(user=world.users.bank_officer, application=confirmed)
    ]
    assert codes == ["approve", "decline"]
    university_page = client_for(world.users.university1_officer).get(f"/applications/{confirmed.pk}/")
    assert "可办理" not in university_page.content.decode()
    assert client_for(world.users.county2_staff).get(f"/applications/{confirmed.pk}/").status_code == 404


def test_issue8_queue_buttons_are_the_appointment_actions(world, clock, client_for, api_for):
    """queue.html loops over appointment_actions_for: a booked appointment of today offers 签到 and 取消,
    not 未到 before its slot ended; a called one 办结 and 未到; the city reads without buttons."""
    loan_year_ensure(year=2026)
    clerk = world.users.county1_staff
    clock(at(factories_intake.DAY, 8))
    site = make_site(world.county1)
    make_slots(site)
    slot = site.slots.order_by("starts_at").first()
    booked = intake_services.appointment_book(actor=clerk, slot=slot, **person(world.county1, 1))
    now = intake_services.intake_now()
    codes = [a.code for a in actions.appointment_actions_for(user=clerk, appointment=booked, now=now)]
    assert codes == ["open-form", "check-in", "cancel"]
    with pytest.raises(DomainError):
        intake_services.appointment_no_show(actor=clerk, appointment=booked)
    booked.refresh_from_db()
    assert booked.status == "booked"
    assert actions.appointment_actions_for(user=world.users.city1_manager, appointment=booked, now=now) == []
    page = client_for(clerk).get(f"/intake/queue/?site={site.pk}&day={factories_intake.DAY}")
    html = page.content.decode()
    assert f"/intake/appointments/{booked.pk}/check-in/" in html or "check-in" in html
    assert "no-show" not in html
    api = api_for(clerk).get(f"/api/v1/appointments/{booked.pk}/").json()
    assert api["available_actions"] == ["check-in", "cancel"]


# --- archiving (notice 八: 次年3月底前完成信贷材料的归档) ------------------------------------------------------


@pytest.mark.parametrize(
    "state", ["bank_approved", "disbursed", "fee_certified", "withdrawn", "abandoned", "bank_declined"]
)
def test_issue8_archive_every_signed_loan_of_the_year(world, state):
    """Every loan with a signed contract is archived by the county, closed cases included, not only those
    with a fee certificate."""
    open_calendar(2026)
    if state in ("withdrawn", "abandoned"):
        application = make_application(world, to="contract_signed")
        application = _close(world, application, state)
    elif state == "bank_declined":
        application = _close(world, make_application(world, to="receipt_confirmed"), state)
    else:
        application = make_application(world, to=state)
    archived = services.application_transition(
        actor=world.users.county1_manager, application=application, to="archived", on=STEP_DAY["archived"]
    )
    assert archived.status == "archived"


def test_issue8_archive_refuses_a_case_without_contract_and_changes_nothing(world):
    application = make_application(world)
    application = services.application_transition(
        actor=world.users.county1_staff, application=application, to="withdrawn", reason="学生放弃"
    )
    before = _audit_count(application)
    assert "archive" not in [
        a.code
        for a in actions.application_actions_for(user=world.users.county1_manager, application=application)
    ]
    with pytest.raises(ConflictError):
        services.application_transition(
            actor=world.users.county1_manager, application=application, to="archived"
        )
    application.refresh_from_db()
    assert application.status == "withdrawn" and _audit_count(application) == before


# --- the bank declines (notice 八: 审核 … 通过审批后发放贷款) ----------------------------------------------------


def test_issue8_bank_declines_with_a_reason_seen_by_county_and_university(world, client_for, api_for):
    open_calendar(2026)
    application = make_application(world, to="receipt_confirmed")
    bank = world.users.bank_officer
    before = _audit_count(application)
    with pytest.raises(DomainError):
        services.application_transition(actor=bank, application=application, to="bank_declined", reason="")
    with pytest.raises(PermissionDeniedError):
        services.application_transition(
            actor=world.users.county1_staff, application=application, to="bank_declined", reason="县里拒绝"
        )
    application.refresh_from_db()
    assert application.status == "receipt_confirmed" and _audit_count(application) == before

    bank_approval_open(world)  # the API acts today: the bank's deadline extended past it
    response = api_for(bank).post(
        f"/api/v1/applications/{application.pk}/decline/", {"reason": "共同借款人征信不良"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "bank_declined"
    assert response.json()["bank_decline_reason"] == "共同借款人征信不良"
    for user in (world.users.county1_staff, world.users.university1_officer):
        page = client_for(user).get(f"/applications/{application.pk}/").content.decode()
        assert "银行未通过" in page and "共同借款人征信不良" in page
    # a declined application no longer blocks a new one of the student this year
    assert Application.objects.get(pk=application.pk).status in CLOSED_STATES


# --- one loan year ---------------------------------------------------------------------------------------


def test_issue8_one_loan_year_function(world):
    """January–March belong to the previous loan year (archive period); the calendar decides when it
    has the day; the applications' loan year is the same function."""
    from deadlines.services import current_loan_year

    assert current_loan_year(datetime.date(2027, 2, 10)) == 2026  # no calendar yet
    assert current_loan_year(datetime.date(2026, 8, 1)) == 2026
    loan_year_ensure(year=2026)
    assert current_loan_year(datetime.date(2027, 3, 31)) == 2026
    assert current_loan_year(datetime.date(2027, 4, 1)) == 2027
    for day in (datetime.date(2027, 1, 2), datetime.date(2026, 12, 31), datetime.date(2026, 7, 20)):
        assert services.current_loan_year(day) == current_loan_year(day) == 2026


# --- dates from the calendar, never from text -------------------------------------------------------------


def test_issue8_abandonment_reason_prints_the_universitys_real_date(world):
    open_calendar(2026)
    application = make_application(world, to="contract_signed")
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("receipt_entry_due", year=2026),
        organisation=world.university1,
        end_date=datetime.date(2026, 10, 20),
        reason="系统升级，顺延十天",
    )
    services.abandon_unreceipted(loan_year=2026, organisation=world.university1)
    event = AuditEvent.objects.get(object_pk=str(application.pk), action="application.abandoned")
    assert "2026年10月20日" in event.reason and "10月10日" not in event.reason


def test_issue8_intake_close_reason_prints_the_countys_extended_window(world, clock):
    loan_year_ensure(year=2026)
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("intake_window", year=2026),
        organisation=world.county1,
        end_date=datetime.date(2026, 9, 25),
        reason="顺延",
    )
    clock(at(datetime.date(2026, 9, 1), 8))
    site = make_site(world.county1)
    make_slots(site, start=datetime.date(2026, 9, 26))
    slot = site.slots.first()
    appointment = intake_services.appointment_book(
        actor=world.users.county1_staff, slot=slot, **person(world.county1, 3)
    )
    calendar_run(as_of=datetime.date(2026, 9, 26))
    reason = AuditEvent.objects.get(object_pk=str(appointment.pk), action="appointment.cancelled").reason
    assert "7月15日至9月25日" in reason


def test_issue8_no_made_up_intake_end_without_a_calendar(world):
    assert intake_services.intake_window_end(world.county1, 2031) is None


def test_issue8_session_timeout_message_reads_the_setting(world, client, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client.force_login(world.users.county1_staff)
    session = client.session
    session["last_activity_at"] = time.time() - 700
    session["auth_started_at"] = time.time() - 700
    session.save()
    response = client.get("/", follow=True)
    html = response.content.decode()
    assert "10分钟" in html and "30分钟未操作" not in html
    assert "10分钟无操作自动退出" in client.get("/accounts/login/").content.decode()


def _python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_issue8_debug_off_unless_a_development_setting_turns_it_on():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    assert _python(code, DJANGO_SETTINGS_MODULE="loanportal.settings").stdout.strip() == "False"
    assert (
        _python(code, DJANGO_SETTINGS_MODULE="loanportal.settings", DJANGO_DEBUG="1").stdout.strip() == "True"
    )
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "DJANGO_DEBUG=1" in run


def test_issue8_wsgi_and_celery_never_run_development_settings_silently():
    """Without DJANGO_SETTINGS_MODULE the entry points load the production settings, which refuse to start
    without a secret key — never the development defaults."""
    wsgi = _python("import loanportal.wsgi")
    assert wsgi.returncode != 0 and "DJANGO_SECRET_KEY" in wsgi.stderr
    celery = _python("import os, loanportal.celery; print(os.environ['DJANGO_SETTINGS_MODULE'])")
    assert celery.stdout.strip() == "loanportal.settings.production"


# --- receipt entry against the calendar (notice 八: 10月10日前) ------------------------------------------------


def test_issue8_receipt_entry_checked_against_the_calendar_and_extensions(world, client_for):
    open_calendar(2026)
    application = make_application(world, to="contract_signed")
    late = datetime.date(2026, 11, 19)  # 40 days after 10/10
    before = _audit_count(application)
    with pytest.raises(DomainError) as refused:
        services.receipt_enter(
            actor=world.users.university1_officer, receipt_code=application.receipt_code, on=late
        )
    assert "2026年10月10日" in refused.value.message
    application.refresh_from_db()
    assert application.status == "contract_signed" and _audit_count(application) == before
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("receipt_entry_due", year=2026),
        organisation=world.university1,
        end_date=datetime.date(2026, 11, 30),
        reason="延期",
    )
    entered = services.receipt_enter(
        actor=world.users.university1_officer, receipt_code=application.receipt_code, on=late
    )
    assert entered.status == "receipt_entered"
    with pytest.raises(ConflictError) as again:
        services.receipt_enter(
            actor=world.users.university1_officer, receipt_code=application.receipt_code, on=late
        )
    assert "无需重复录入" in again.value.message


# --- one pending correction per application ---------------------------------------------------------------


def test_issue8_one_pending_correction_per_application(world):
    open_calendar(2026)
    application = make_application(world, to="contract_signed")
    clerk = world.users.county1_staff
    services.correction_request(
        actor=clerk, application=application, changes={"tuition_amount": 4000}, reason="学费录入有误"
    )
    before = _audit_count(application)
    with pytest.raises(ConflictError):
        services.correction_request(
            actor=clerk, application=application, changes={"major": "数学"}, reason="专业录入有误"
        )
    assert ApplicationCorrection.objects.filter(application=application).count() == 1
    assert _audit_count(application) == before
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationCorrection.objects.create(
            application=application, changes={"major": "数学"}, reason="绕过服务", requested_by=clerk
        )


# --- the demo can finish its own main journey; intake closed is said up front ------------------------------


def test_issue8_intake_closed_is_said_up_front(world, client_for):
    """Outside the county's intake window (here: no calendar at all) the form and the queue say so before
    anything is typed."""
    clerk = world.users.county1_staff
    page = client_for(clerk).get("/applications/new/").content.decode()
    assert 'id="intake-closed"' in page
    loan_year_ensure(year=2026)
    assert services.intake_closed_message(world.county1, datetime.date(2026, 8, 3)) is None
    message = services.intake_closed_message(world.county1, datetime.date(2026, 10, 3))
    assert "7月15日至9月20日" in message


def test_issue8_seed_demo_holds_today_in_its_windows_and_finishes_the_journey(db):
    """`make run` demonstrates the whole cycle on any day: the seeded loan year's intake window holds today
    for every county, a clerk receives an application with the calendar check on, the university enters
    the receipt today; and each county's students were registered by that county's own clerk (issue 7
    item 10)."""
    import io

    from django.core.management import call_command

    from deadlines.services import is_open
    from loanportal.models import Organisation, Student, User

    call_command("seed_demo", "--password", "demo-pass-1", stdout=io.StringIO())
    today = timezone.localdate()
    counties = Organisation.objects.filter(kind="county")
    assert counties and all(is_open("intake_window", county, on=today) for county in counties)
    clerk = User.objects.get(username="county1_staff")
    student = Student.objects.filter(household_county=clerk.organisation).first()
    assert services.intake_closed_message(clerk.organisation) is None
    signed = next(
        a
        for a in Application.objects.filter(status="contract_signed").select_related("university")
        if User.objects.filter(organisation=a.university, role="university_officer").exists()
    )
    officer = User.objects.filter(organisation=signed.university, role="university_officer").first()
    assert services.receipt_enter(actor=officer, receipt_code=signed.receipt_code).status == "receipt_entered"
    creators = set(
        AuditEvent.objects.filter(action="student.create", organisation=student.household_county).values_list(
            "actor_username", flat=True
        )
    )
    assert creators == {"county1_staff"}
    county3_creators = set(
        AuditEvent.objects.filter(action="student.create", organisation__code="620522").values_list(
            "actor_username", flat=True
        )
    )
    assert county3_creators == {"county3_staff"}


def test_issue8_certificate_and_receipt_page_print_the_calendars_date(today, world, client_for):
    """The acceptance certificate and the receipt page print the university's real receipt deadline
    (with its extension), not a "10月10日" written into the template."""
    open_calendar(2026)
    application = make_application(world, to="contract_signed")
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("receipt_entry_due", year=2026),
        organisation=world.university1,
        end_date=datetime.date(2026, 10, 20),
        reason="顺延",
    )
    page = client_for(world.users.county1_staff).get(f"/applications/{application.pk}/certificate/")
    assert "2026年10月20日前凭回执码录入" in page.content.decode()
    receipts = client_for(world.users.university1_officer).get("/applications/receipts/").content.decode()
    assert "2026年10月20日前须完成录入" in receipts and "10月10日前" not in receipts


def test_issue8_every_dated_move_is_checked_against_the_calendar(world):
    """Receipt confirmation (10/10), the bank's approval (11/20) and fee certificates (11/20–11/30) are
    checked like intake, with the real date in the refusal; nothing changes on a refusal."""
    open_calendar(2026)
    entered = make_application(world, to="receipt_entered")
    before = _audit_count(entered)
    with pytest.raises(DomainError) as late:
        services.application_transition(
            actor=world.users.county1_staff,
            application=entered,
            to="receipt_confirmed",
            on=datetime.date(2026, 10, 20),
        )
    assert "2026年10月10日" in late.value.message
    entered.refresh_from_db()
    assert entered.status == "receipt_entered" and _audit_count(entered) == before
    disbursed = make_application(world, to="disbursed")
    with pytest.raises(DomainError) as early:
        services.application_transition(
            actor=world.users.university1_officer,
            application=disbursed,
            to="fee_certified",
            on=datetime.date(2026, 11, 5),
        )
    assert "11月20日至11月30日" in early.value.message
    disbursed.refresh_from_db()
    assert disbursed.status == "disbursed"
