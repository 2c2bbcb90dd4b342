"""Pages and API of the first-loan application: scope (other county → 404, university read-only on its
students, bank only confirmed cases, 403 for roles that may not act), the intake form, the acceptance
certificate, receipt entry, the query count of the intake list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from applications.rules import lifecycle as rules
from loanportal.rules import mask_id_number
from tests.factories import valid_id
from tests.factories_lifecycle import bank_approval_open, make_application, receipt_entry_open

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


@pytest.fixture
def apps(world):
    """county1 → university1 (signed), county1 → university4 (receipt confirmed), county3 → university1."""
    return {
        "c1_u1": make_application(world, student=world.students.c1_u1, to="contract_signed"),
        "c1_u4": make_application(
            world, student=world.students.c1_u4, university=world.university4, to="receipt_confirmed"
        ),
        "c3_u1": make_application(
            world, actor=world.users.county3_staff, student=world.students.c3_u1, to="accepted"
        ),
    }


VISIBLE = {
    "province_officer": {"c1_u1", "c1_u4", "c3_u1"},
    "province_manager": {"c1_u1", "c1_u4", "c3_u1"},
    "city1_manager": {"c1_u1", "c1_u4"},
    "county1_staff": {"c1_u1", "c1_u4"},
    "county1_manager": {"c1_u1", "c1_u4"},
    "county2_staff": set(),
    "county3_staff": {"c3_u1"},
    "university1_officer": {"c1_u1", "c3_u1"},
    "university4_officer": {"c1_u4"},
    "bank_officer": {"c1_u4"},  # only cases past the county's receipt confirmation
}


def make_intake_kwargs_for_county3(world):
    from tests.factories_lifecycle import intake_kwargs

    return intake_kwargs(world, student=world.students.c3_u1)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_api_list_and_detail_are_scoped(world, apps, api_for, role):
    api = api_for(getattr(world.users, role))
    response = api.get("/api/v1/applications/")
    assert response.status_code == 200
    got = {row["id"] for row in response.json()["results"]}
    assert got == {apps[key].pk for key in VISIBLE[role]}
    for key, application in apps.items():
        detail = api.get(f"/api/v1/applications/{application.pk}/")
        assert detail.status_code == (200 if key in VISIBLE[role] else 404), key
        if detail.status_code == 200:
            assert detail.json()["student_id_number"] == mask_id_number(application.student.id_number)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_html_list_and_detail_are_scoped(world, apps, client_for, role):
    client = client_for(getattr(world.users, role))
    response = client.get("/applications/")
    assert response.status_code == 200
    body = response.content.decode()
    for key, application in apps.items():
        assert (f"/applications/{application.pk}/" in body) == (key in VISIBLE[role]), key
        detail = client.get(f"/applications/{application.pk}/")
        assert detail.status_code == (200 if key in VISIBLE[role] else 404), key
        assert application.student.id_number not in detail.content.decode()


def test_other_county_cannot_act_on_an_application(world, apps, api_for):
    api = api_for(world.users.county2_staff)
    response = api.post(f"/api/v1/applications/{apps['c1_u1'].pk}/withdraw/", {"reason": "越权"})
    assert response.status_code == 404
    apps["c1_u1"].refresh_from_db()
    assert apps["c1_u1"].status == "contract_signed"


def test_university_reads_but_may_not_make_county_moves(world, apps, api_for):
    api = api_for(world.users.university1_officer)
    response = api.post(f"/api/v1/applications/{apps['c3_u1'].pk}/sign/", {})
    assert response.status_code == 403
    apps["c3_u1"].refresh_from_db()
    assert apps["c3_u1"].status == "accepted"
    assert api.post("/api/v1/applications/", {}, format="json").status_code == 403


def test_bank_approves_through_the_api(world, apps, api_for):
    api = api_for(world.users.bank_officer)
    bank_approval_open(world)
    response = api.post(f"/api/v1/applications/{apps['c1_u4'].pk}/approve/", {})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "bank_approved"
    assert response.json()["receipt_code"] is None


def test_reason_required_through_the_api(world, apps, api_for):
    api = api_for(world.users.county3_staff)
    response = api.post(f"/api/v1/applications/{apps['c3_u1'].pk}/return/", {"reason": ""})
    assert response.status_code == 400
    assert "原因" in response.json()["detail"]
    response = api.post(f"/api/v1/applications/{apps['c3_u1'].pk}/return/", {"reason": "缺少共同借款人签字"})
    assert response.status_code == 200 and response.json()["status"] == "returned"


def test_university_enters_receipt_through_the_api(world, apps, api_for):
    receipt_entry_open(world)
    api = api_for(world.users.university1_officer)
    code = apps["c1_u1"].receipt_code
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    bad = api.post("/api/v1/applications/enter-receipt/", {"receipt_code": typo})
    assert bad.status_code == 400 and bad.json()["detail"] == "回执码校验位错误，请核对"
    ok = api.post("/api/v1/applications/enter-receipt/", {"receipt_code": code})
    assert ok.status_code == 200 and ok.json()["status"] == "receipt_entered"
    assert (
        api_for(world.users.county1_staff)
        .post("/api/v1/applications/enter-receipt/", {"receipt_code": code})
        .status_code
        == 403
    )


def test_api_create_and_duplicate_across_counties(world, api_for):
    from applications.services.lifecycle import loan_policy_for

    loan_policy_for(2026)
    payload = {
        "name": "接口学生",
        "id_number": valid_id("620123", "20070909"),
        "phone": "13812340000",
        "address": "榆中县",
        "co_name": "接口家长",
        "co_id_number": valid_id("620123", "19700101"),
        "co_relationship": "mother",
        "co_phone": "13912340000",
        "university": world.university1.pk,
        "major": "化学",
        "level": "undergraduate",
        "enrolment_year": 2026,
        "study_years": 4,
        "tuition_amount": 5000,
        "accommodation_amount": 1000,
        "commitment_accepted": True,
    }
    from deadlines.services import loan_year_ensure

    loan_year_ensure(year=2026)
    # Today (factories_lifecycle.TODAY, 2026-12-02) is outside the intake window: refused with its dates.
    response = api_for(world.users.county1_staff).post("/api/v1/applications/", payload, format="json")
    assert response.status_code == 400
    assert "现场受理期" in response.json()["detail"]


def test_schema_lists_the_application_endpoints(world, api_for):
    response = api_for(world.users.province_manager).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/applications/",
        "/api/v1/applications/{id}/sign/",
        "/api/v1/loan-policies/",
        "/api/v1/applications/enter-receipt/",
        "/api/v1/applications/{id}/return/",
    ):
        assert path in text, path


def test_new_application_page_only_for_county(world, client_for):
    assert client_for(world.users.university1_officer).get("/applications/new/").status_code == 403
    assert client_for(world.users.bank_officer).get("/applications/new/").status_code == 403
    page = client_for(world.users.county1_staff).get("/applications/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "承诺不实" in body and "法律责任" in body
    assert "民政" not in body.replace("不要求提供民政部门家庭经济情况证明", "")


def test_new_application_form_shows_field_errors_in_chinese(world, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post("/applications/new/", {"name": "", "id_number": "123"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "请填写学生姓名" in body and "身份证号应为18位" in body and "请选择就读高校" in body


def test_new_application_prefilled_from_an_appointment_of_the_county(world, client_for):
    from applications.models import Appointment, IntakeSite

    site = IntakeSite.objects.create(county=world.county1, name="县中心", opens_at="08:30", closes_at="17:30")
    appointment = Appointment.objects.create(
        county=world.county1,
        site=site,
        date="2026-08-03",
        name="预约生",
        id_number=valid_id("620123", "20071111"),
        phone="13800001234",
    )
    body = client_for(world.users.county1_staff).get(f"/applications/new/?appointment={appointment.pk}")
    assert body.status_code == 200 and "预约生" in body.content.decode()
    assert (
        client_for(world.users.county2_staff)
        .get(f"/applications/new/?appointment={appointment.pk}")
        .status_code
        == 404
    )


def test_fee_standard_prefill(world, client_for):
    from renewals.services import fee_standard_set

    fee_standard_set(
        actor=world.users.university1_officer,
        university=world.university1,
        year=2026,
        major="化学",
        level="undergraduate",
        tuition=4800,
        accommodation=1100,
    )
    client = client_for(world.users.county1_staff)
    response = client.get(
        "/applications/new/fee-standard/",
        {"university": world.university1.pk, "major": "化学", "level": "undergraduate"},
    )
    assert "4800" in response.content.decode() and "1100" in response.content.decode()
    none = client.get(
        "/applications/new/fee-standard/",
        {"university": world.university1.pk, "major": "哲学", "level": "undergraduate"},
    )
    assert "未找到" in none.content.decode()


def test_certificate_page(world, apps, client_for):
    application = apps["c1_u1"]
    response = client_for(world.users.county1_staff).get(f"/applications/{application.pk}/certificate/")
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "受理证明",
        "榆中县学生资助管理中心",
        application.student.name,
        application.contract_number,
        rules.receipt_code_display(application.receipt_code),
        mask_id_number(application.student.id_number),
        "兰州大学",
        "签字",
    ):
        assert text in body, text
    assert application.student.id_number not in body
    assert (
        client_for(world.users.county2_staff).get(f"/applications/{application.pk}/certificate/").status_code
        == 404
    )


def test_buttons_follow_the_users_moves(world, apps, client_for):
    body = client_for(world.users.county3_staff).get(f"/applications/{apps['c3_u1'].pk}/").content.decode()
    assert 'id="action-sign"' in body and "reason-return" in body
    body = (
        client_for(world.users.university1_officer).get(f"/applications/{apps['c3_u1'].pk}/").content.decode()
    )
    assert 'id="action-sign"' not in body and "reason-return" not in body


def test_sign_button_leads_to_the_certificate(world, apps, client_for):
    client = client_for(world.users.county3_staff)
    response = client.post(f"/applications/{apps['c3_u1'].pk}/sign/")
    assert response.status_code == 302 and response.url.endswith("/certificate/")


def test_receipt_entry_page(world, apps, client_for):
    receipt_entry_open(world)
    client = client_for(world.users.university1_officer)
    code = apps["c1_u1"].receipt_code
    bad = client.post(
        "/applications/receipts/", {"receipt_code": code[:-1] + ("Z" if code[-1] != "Z" else "Y")}
    )
    assert "回执码校验位错误，请核对" in bad.content.decode()
    ok = client.post("/applications/receipts/", {"receipt_code": code}, follow=True)
    assert "已录入" in ok.content.decode()
    assert client_for(world.users.county1_staff).get("/applications/receipts/").status_code == 403


def test_correction_pages_maker_checker(world, apps, client_for):
    application = apps["c1_u1"]
    staff = client_for(world.users.county1_staff)
    data = {
        "tuition_amount": 5200,
        "accommodation_amount": 1200,
        "major": "计算机科学与技术",
        "enrolment_year": 2026,
        "study_years": 4,
        "reason": "金额录错",
    }
    staff.post(f"/applications/{application.pk}/corrections/", data)
    correction = application.corrections.get()
    manager = client_for(world.users.county1_manager)
    body = manager.get(f"/applications/{application.pk}/").content.decode()
    assert "学费贷款金额（元）改为 5200" in body and 'value="approve"' in body
    manager.post(f"/applications/corrections/{correction.pk}/decide/", {"decision": "approve"})
    application.refresh_from_db()
    assert application.tuition_amount == 5200


def _bulk(world, count):
    base = make_application(world)
    rows = []
    for i in range(count):
        rows.append(
            Application(
                year=2020 + i % 5,
                student=base.student,
                county=world.county1,
                university=world.university1,
                level="undergraduate",
                major="化学",
                enrolment_year=2020,
                study_years=4,
                tuition_amount=4000,
                accommodation_amount=1000,
                status="rejected",
                created_by=base.created_by,
            )
        )
    Application.objects.bulk_create(rows)


def test_intake_list_query_count_is_constant_in_the_page_size(world, client_for):
    _bulk(world, 60)
    client = client_for(world.users.county1_staff)
    counts = {}
    for size in (10, 50):
        client.get(f"/applications/?size={size}")  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            # year=all: _bulk spreads the rows over past loan years (the list defaults to the current one)
            response = client.get(f"/applications/?size={size}&status=rejected&year=all")
        assert response.status_code == 200
        assert response.content.decode().count("/applications/") >= size
        counts[size] = len(ctx.captured_queries)
    assert counts[10] == counts[50]
    assert counts[50] <= 8, counts


def test_intake_list_filters_and_searches(world, apps, client_for):
    client = client_for(world.users.county1_staff)
    c1 = apps["c1_u1"]
    body = client.get("/applications/", {"status": "receipt_confirmed"}).content.decode()
    assert f"/applications/{apps['c1_u4'].pk}/" in body and f'/applications/{c1.pk}/"' not in body
    body = client.get("/applications/", {"q": c1.student.id_number[-4:]}).content.decode()
    assert f"/applications/{c1.pk}/" in body
    body = client.get("/applications/", {"q": c1.student.name}).content.decode()
    assert f"/applications/{c1.pk}/" in body
