"""Demo seeder of the application lifecycle (order 40) and the dashboard cards; the htmx helpers of the
intake form (pre-application notice 三(六), duplicate in another county)."""

import io

import pytest

from applications.hooks.lifecycle import seed_applications
from applications.models import Application, PreApplication
from loanportal.models import AuditEvent
from tests.factories import valid_id
from tests.factories_lifecycle import make_application

pytestmark = pytest.mark.django_db


def test_seeder_makes_applications_in_several_states_through_services_and_is_idempotent():
    from deadlines.hooks import seed_calendar
    from loanportal.demo import seed_core

    context = seed_core(password="seed-pass-2026", stdout=io.StringIO())
    seed_calendar(context)  # the demo calendar holds today: the seeder passes the clerk's calendar checks
    seed_applications(context)
    count = Application.objects.count()
    seed_applications(context)
    assert Application.objects.count() == count >= 12
    states = set(Application.objects.values_list("status", flat=True))
    assert {"accepted", "contract_signed", "receipt_entered", "receipt_confirmed", "disbursed"} <= states
    counties = set(Application.objects.values_list("county__code", flat=True))
    assert counties == {"620123", "620122", "620522", "620523"}
    assert Application.objects.filter(county__code="620123", university__code="10698").exists()
    for application in Application.objects.all():
        assert AuditEvent.objects.filter(
            object_type="applications.application", object_pk=str(application.pk)
        ).exists()


def test_dashboard_cards_per_role(world, client_for):
    make_application(world, to="contract_signed")
    body = client_for(world.users.county1_staff).get("/").content.decode()
    assert "今日受理" in body and "待高校录入回执" in body
    body = client_for(world.users.university1_officer).get("/").content.decode()
    assert "待录入回执" in body
    body = client_for(world.users.province_manager).get("/").content.decode()
    assert "年度首贷申请" in body
    body = client_for(world.users.bank_officer).get("/").content.decode()
    assert "待审批贷款" in body


def test_precheck_announces_pre_applied_student_and_duplicate_county(today, world, client_for):
    """Notice 三(六): a pre-applied student is announced; a live application elsewhere shows the county only."""
    id_number = valid_id(world.county1.code, "20070102")
    PreApplication.objects.create(
        year=2026,
        county=world.county1,
        name="预申请生",
        id_number=id_number,
        basis="orphan_disabled",
        source="manual",
        created_by=world.users.county1_staff,
    )
    client = client_for(world.users.county1_staff)
    body = client.post("/applications/new/precheck/", {"id_number": id_number}).content.decode()
    assert "预申请学生" in body and "孤残学生" in body
    application = make_application(world)
    body = (
        client_for(world.users.county2_staff)
        .post("/applications/new/precheck/", {"id_number": application.student.id_number})
        .content.decode()
    )
    assert "已在榆中县申请贷款" in body and application.student.name not in body  # the place, not the centre


def test_new_application_prefilled_from_a_pre_application(world, client_for):
    pre = PreApplication.objects.create(
        year=2026,
        county=world.county1,
        name="名单学生",
        id_number=valid_id(world.county1.code, "20070103"),
        basis="national_grant",
        source="manual",
        created_by=world.users.county1_staff,
    )
    body = (
        client_for(world.users.county1_staff)
        .get(f"/applications/new/?pre_application={pre.pk}")
        .content.decode()
    )
    assert "名单学生" in body and "免现场资格审核" in body
    assert (
        client_for(world.users.county2_staff).get(f"/applications/new/?pre_application={pre.pk}").status_code
        == 404
    )
