"""Issue 7 items 8 and 9: full numbers only through an audited reveal (the intake form's prefill, the
precheck, the access logs) and the receipt code that proves the certificate."""

import datetime
import io
import logging

import pytest
from django.utils import timezone

from applications.models import Application, Appointment, IntakeSite, PreApplication
from loanportal.models import AuditEvent
from loanportal.rules import mask_id_number, mask_phone
from tests.factories import valid_id
from tests.factories_lifecycle import make_application

pytestmark = pytest.mark.django_db


def _appointment(world, **overrides):
    site = IntakeSite.objects.create(county=world.county1, name="县中心", opens_at="08:30", closes_at="17:30")
    data = {
        "county": world.county1,
        "site": site,
        "date": "2026-08-03",
        "name": "预约生",
        "id_number": valid_id("620123", "20071111"),
        "phone": "13800001234",
    }
    return Appointment.objects.create(**{**data, **overrides})


def _pre_application(world, **overrides):
    from deadlines.services import current_loan_year

    data = {
        "year": current_loan_year(),  # the loan year the precheck reads (January–March: the previous one)
        "county": world.county1,
        "name": "名单学生",
        "id_number": valid_id(world.county1.code, "20070103"),
        "phone": "13911112222",
        "basis": "national_grant",
        "source": "manual",
        "created_by": world.users.county1_staff,
    }
    return PreApplication.objects.create(**{**data, **overrides})


# --- item 8: the prefill reveals nothing ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["appointment", "pre_application"])
def test_issue7_8_prefill_puts_no_full_id_or_phone_in_the_form(world, client_for, kind):
    source = _appointment(world) if kind == "appointment" else _pre_application(world)
    reveals = AuditEvent.objects.filter(action__contains="reveal")
    response = client_for(world.users.county1_staff).get(f"/applications/new/?{kind}={source.pk}")
    body = response.content.decode()
    assert response.status_code == 200
    assert source.name in body  # the name is brought over
    assert source.id_number not in body and source.phone not in body
    assert mask_id_number(source.id_number) in body and mask_phone(source.phone) in body
    assert "对照学生身份证输入身份证号" in body
    assert not reveals.exists()  # nothing revealed, nothing to audit
    assert (
        client_for(world.users.county2_staff).get(f"/applications/new/?{kind}={source.pk}").status_code == 404
    )


def _form_data(world, **overrides):
    data = {
        "name": "预约生",
        "id_number": "",
        "phone": "",
        "address": "榆中县城关镇1号",
        "co_name": "家长",
        "co_id_number": valid_id(world.county1.code, "19750505"),
        "co_relationship": "father",
        "co_phone": "13900001111",
        "university": world.university1.pk,
        "major": "计算机科学与技术",
        "level": "undergraduate",
        "enrolment_year": timezone.localdate().year,
        "study_years": 4,
        "tuition_amount": 5000,
        "accommodation_amount": 1200,
        "commitment_accepted": "on",
    }
    return {**data, **overrides}


def _open_intake_today(world):
    """The county's intake window extended to include today, whatever day the suite runs."""
    from deadlines.services import key_date_extend, key_date_get, key_date_update, loan_year_ensure

    today = timezone.localdate()
    loan_year_ensure(year=today.year)
    key_date = key_date_get("intake_window", year=today.year)
    if key_date.start_date > today:
        key_date_update(
            actor=world.users.province_manager,
            key_date=key_date,
            start_date=today,
            end_date=max(key_date.end_date, today),
            reason="测试",
        )
    elif key_date.end_date < today:
        key_date_extend(
            actor=world.users.province_manager,
            key_date=key_date,
            organisation=world.county1,
            end_date=today + datetime.timedelta(days=1),
            reason="测试",
        )


def test_issue7_8_typed_id_number_is_checked_against_the_appointment(world, client_for):
    appointment = _appointment(world)
    client = client_for(world.users.county1_staff)
    other = valid_id("620123", "20070909")
    response = client.post(
        "/applications/new/", _form_data(world, id_number=other, appointment=appointment.pk)
    )
    body = response.content.decode()
    assert response.status_code == 200 and "与预约登记的身份证号" in body and "不一致" in body
    assert mask_id_number(appointment.id_number) in body and appointment.id_number not in body
    assert not Application.objects.exists()


def test_issue7_8_matching_id_and_blank_phone_keep_the_registered_phone(world, client_for):
    _open_intake_today(world)
    appointment = _appointment(world)
    response = client_for(world.users.county1_staff).post(
        "/applications/new/",
        _form_data(world, id_number=appointment.id_number.lower(), appointment=appointment.pk),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get()
    assert application.student.id_number == appointment.id_number
    assert application.student.phone == appointment.phone


def test_issue7_8_precheck_takes_the_id_number_in_a_post_body_only(world, client_for):
    pre = _pre_application(world)
    client = client_for(world.users.county1_staff)
    assert client.get("/applications/new/precheck/", {"id_number": pre.id_number}).status_code == 405
    body = client.post("/applications/new/precheck/", {"id_number": pre.id_number}).content.decode()
    assert "预申请学生" in body
    page = client.get(f"/applications/new/?pre_application={pre.pk}").content.decode()
    assert (
        'hx-post="/applications/new/precheck/"' in page and 'hx-get="/applications/new/precheck/"' not in page
    )
    # opened from the list, a different number typed → the clerk is told at once, masked
    body = client.post(
        "/applications/new/precheck/",
        {"id_number": valid_id(world.county1.code, "20070808"), "pre_application": pre.pk},
    ).content.decode()
    assert "不一致" in body and mask_id_number(pre.id_number) in body and pre.id_number not in body


def _configured_output(logger_name: str, emit) -> str:
    """What the handlers configured in settings.LOGGING write for the records `emit` logs through
    `logger_name` (their streams swapped for a buffer; filters and formatters are the real ones)."""
    logger = logging.getLogger(logger_name)
    handlers = []
    current = logger
    while current is not None:
        handlers += [h for h in current.handlers if isinstance(h, logging.StreamHandler)]
        if not current.propagate:
            break
        current = current.parent
    handlers = [h for h in handlers if not type(h).__module__.startswith("_pytest")]
    assert handlers, f"no configured handler on {logger_name}"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    try:
        emit(logger)
    finally:
        for handler, stream in zip(handlers, previous):
            handler.setStream(stream)
    return buffer.getvalue()


ID = "620123200701021234"  # shape only: the log masks anything shaped like an ID number
PHONE = "13812345678"


def test_issue7_8_runserver_access_log_masks_ids_and_phones():
    def emit(logger):  # exactly what django.core.servers.basehttp.WSGIRequestHandler.log_message does
        logger.info(
            '"%s" %s %s',
            f"GET /applications/new/precheck/?id_number={ID}&phone={PHONE} HTTP/1.1",
            "200",
            "12",
            extra={"status_code": 200, "request": None},
        )

    output = _configured_output("django.server", emit)
    assert "/applications/new/precheck/" in output
    assert ID not in output and PHONE not in output
    assert mask_id_number(ID) in output and mask_phone(PHONE) in output


def test_issue7_8_django_request_warnings_are_masked():
    output = _configured_output(
        "django.request", lambda logger: logger.warning("Not Found: /students/%s/?phone=%s", ID, PHONE)
    )
    assert "Not Found" in output and ID not in output and PHONE not in output


def test_issue7_8_gunicorn_access_log_masks_ids_and_phones(tmp_path):
    """gunicorn.conf.py (what docker-compose runs) → MaskedGunicornLogger: the access line is masked."""
    import os
    import runpy

    from gunicorn.config import Config

    settings = runpy.run_path(os.path.join(os.path.dirname(os.path.dirname(__file__)), "gunicorn.conf.py"))
    config = Config()
    for name in ("logger_class", "access_log_format"):
        if name in settings:
            config.set(name, settings[name])
    log_file = tmp_path / "access.log"
    config.set("accesslog", str(log_file))
    logger = config.logger_class(config)

    class Response:
        status = "200 OK"
        status_code = 200
        response_length = 12
        sent = 12
        headers = []

    class Req:
        headers = [("REFERER", f"http://portal/applications/new/?id_number={ID}")]
        method = "GET"
        uri = f"/applications/new/precheck/?id_number={ID}&phone={PHONE}"
        path = "/applications/new/precheck/"
        query = f"id_number={ID}&phone={PHONE}"
        version = (1, 1)

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": Req.uri,
        "PATH_INFO": Req.path,
        "QUERY_STRING": Req.query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": Req.headers[0][1],
    }
    logger.access(Response(), Req(), environ, datetime.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert "/applications/new/precheck/" in line
    assert ID not in line and PHONE not in line
    assert mask_id_number(ID) in line


# --- item 9: the receipt code proves the certificate ----------------------------------------------


@pytest.fixture
def signed(world):
    """County 1 → university 1: one signed (receipt not entered), one with the receipt entered; county 1 →
    university 4 with the receipt confirmed (the bank's case)."""
    return {
        "signed": make_application(world, student=world.students.c1_u1, to="contract_signed"),
        "entered": make_application(world, to="receipt_entered"),
        "confirmed": make_application(
            world, student=world.students.c1_u4, university=world.university4, to="receipt_confirmed"
        ),
    }


# (role, application) → whether the receipt code may be read
RECEIPT_CODE_READERS = [
    ("county1_staff", "signed", True),  # the county that printed it
    ("county1_manager", "confirmed", True),
    ("university1_officer", "signed", False),  # must come from the student's paper
    ("university1_manager", "signed", False),
    ("university1_officer", "entered", True),  # …and is shown once entered
    ("university4_officer", "confirmed", True),
    ("bank_officer", "confirmed", False),
    ("city1_manager", "signed", False),
    ("province_manager", "signed", False),
    ("province_officer", "confirmed", False),
]


def _shown(text: str, code: str) -> bool:
    from applications.rules.lifecycle import receipt_code_display

    return code in text or receipt_code_display(code) in text


@pytest.mark.parametrize("role, key, visible", RECEIPT_CODE_READERS)
def test_issue7_9_receipt_code_only_to_the_printing_county_and_after_entry(
    world, signed, client_for, api_for, role, key, visible
):
    from applications.rules.lifecycle import receipt_code_visible_to

    application = signed[key]
    user = getattr(world.users, role)
    code = application.receipt_code
    assert receipt_code_visible_to(user, application) is visible
    api = api_for(user)
    detail = api.get(f"/api/v1/applications/{application.pk}/")
    assert detail.status_code == 200
    assert (detail.json()["receipt_code"] == code) is visible
    listed = api.get("/api/v1/applications/?page_size=100").json()["results"]
    assert any(row["id"] == application.pk for row in listed)
    assert _shown(str(listed), code) is visible
    client = client_for(user)
    page = client.get(f"/applications/{application.pk}/")
    assert page.status_code == 200 and _shown(page.content.decode(), code) is visible
    certificate = client.get(f"/applications/{application.pk}/certificate/")
    if certificate.status_code == 200:
        assert _shown(certificate.content.decode(), code) is visible


def test_issue7_9_university_enters_the_code_from_paper_then_sees_it(world, signed, api_for):
    from tests.factories_lifecycle import receipt_entry_open

    receipt_entry_open(world, year=signed["signed"].year)
    application = signed["signed"]
    api = api_for(world.users.university1_officer)
    assert api.get(f"/api/v1/applications/{application.pk}/").json()["receipt_code"] is None
    response = api.post(
        "/api/v1/applications/enter-receipt/", {"receipt_code": application.receipt_code}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["receipt_code"] == application.receipt_code
    assert (
        api.get(f"/api/v1/applications/{application.pk}/").json()["receipt_code"] == application.receipt_code
    )
