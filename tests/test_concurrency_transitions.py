"""Issue 9 protection check 7 — concurrent transitions: two reviewers act on one object at the same moment
→ exactly one change (one audit row), the other gets 409 (ConflictError), for every state machine that
exists today: applications (API), appointments (API), pre-applications and correction approval
(services; their pages show the same ConflictError as a message). Real threads on PostgreSQL, each with
its own connection, released together by a barrier."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import Application, ApplicationCorrection, Appointment, PreApplication
from applications.services import lifecycle as services
from applications.services import queue as intake_services
from loanportal.errors import ConflictError
from loanportal.models import AuditEvent
from loanportal.roles import Role

from . import factories_intake
from .concurrency import race
from .factories import UserFactory, is_postgresql, valid_id
from .factories_intake import make_site, make_slots, person
from .factories_lifecycle import make_application

clock = factories_intake.clock  # the fixture


@pytest.fixture(autouse=True)
def pg_only():
    if not is_postgresql():
        pytest.skip("the races need PostgreSQL row locks")


def _post(user, url, body=None):
    def job():
        api = APIClient()
        api.force_authenticate(user)
        return api.post(url, body or {}, format="json").status_code

    return job


def _one_won(statuses):
    assert sorted(statuses) == [200, 409], statuses


def _audit_rows(obj, action_prefix: str, states) -> int:
    return AuditEvent.objects.filter(
        object_pk=str(obj.pk), action__in=[f"{action_prefix}.{state}" for state in states]
    ).count()


APPLICATION_RACES = [
    # (who, action, body) twice, and the state the application is in; each pair excludes the other move
    (("county1_staff", "sign", {}), ("county1_manager", "sign", {}), "accepted"),  # one contract number
    (
        ("county1_staff", "reject", {"reason": "材料不实"}),
        ("county1_manager", "withdraw", {"reason": "学生放弃"}),
        "accepted",
    ),
    (
        ("county1_staff", "return", {"reason": "补充材料"}),
        ("county1_manager", "return", {"reason": "缺少证件"}),
        "accepted",
    ),
    (("county1_staff", "confirm-receipt", {}), ("county1_manager", "confirm-receipt", {}), "receipt_entered"),
    (
        ("bank_officer", "approve", {}),
        ("county1_staff", "withdraw", {"reason": "学生放弃"}),
        "receipt_confirmed",
    ),
]
TARGETS = {
    "sign": "contract_signed",
    "reject": "rejected",
    "withdraw": "withdrawn",
    "return": "returned",
    "confirm-receipt": "receipt_confirmed",
    "approve": "bank_approved",
}


@pytest.mark.parametrize("first, second, state", APPLICATION_RACES, ids=lambda v: str(v))
def test_issue9_check7_application_transitions_race(live_world, first, second, state):
    from deadlines.services import key_date_extend, key_date_get
    from tests.factories_lifecycle import bank_approval_open

    application = make_application(live_world, to=state)
    bank_approval_open(live_world, year=application.year)
    key_date_extend(  # the county's receipt confirmation deadline (notice 八), today inside it
        actor=live_world.users.province_manager,
        key_date=key_date_get("receipt_confirm_due", year=application.year),
        organisation=live_world.county1,
        end_date=timezone.localdate() + datetime.timedelta(days=30),
        reason="测试：回执确认延期",
    )
    url = "/api/v1/applications/{}/{}/"
    statuses = race(
        *(
            _post(getattr(live_world.users, who), url.format(application.pk, action), body)
            for who, action, body in (first, second)
        )
    )
    if first[0] == "bank_officer" and statuses == [404, 200]:
        # the county withdrew before the bank's request even read the case: no longer handed to the bank
        statuses = [409, 200]
    _one_won(statuses)
    application.refresh_from_db()
    assert application.status in (TARGETS[first[1]], TARGETS[second[1]])
    assert _audit_rows(application, "application", {TARGETS[first[1]], TARGETS[second[1]]}) == 1
    if first[1] == second[1] == "sign":
        assert Application.objects.exclude(contract_number=None).count() == 1


def _appointment_at_the_window(county, clock):
    site = make_site(county)
    slot = make_slots(site)[0]
    appointment = intake_services.appointment_book(actor=None, slot=slot, **person(county, 0))
    return site, appointment


@pytest.mark.parametrize(
    "action, body, state", [("check-in", {}, "checked_in"), ("cancel", {"reason": "来电取消"}, "cancelled")]
)
def test_issue9_check7_appointment_same_move_twice_at_once(live_world, clock, action, body, state):
    """Two clerks check the same student in (one queue number) or cancel the same booking (the slot's
    place is freed once)."""
    from applications.models import TimeSlot

    _, appointment = _appointment_at_the_window(live_world.county1, clock)
    url = f"/api/v1/appointments/{appointment.pk}/{action}/"
    statuses = race(
        _post(live_world.users.county1_staff, url, body), _post(live_world.users.county1_manager, url, body)
    )
    _one_won(statuses)
    appointment.refresh_from_db()
    assert appointment.status == state
    assert _audit_rows(appointment, "appointment", {state}) == 1
    assert TimeSlot.objects.get(pk=appointment.slot_id).booked == (0 if state == "cancelled" else 1)


def test_issue9_check7_appointment_serve_against_no_show(live_world, clock):
    site, appointment = _appointment_at_the_window(live_world.county1, clock)
    intake_services.appointment_check_in(actor=None, appointment=appointment)
    window = site.windows.order_by("number").first()
    called = intake_services.appointment_call_next(actor=None, window=window)
    assert called.pk == appointment.pk
    url = f"/api/v1/appointments/{appointment.pk}/"
    statuses = race(
        _post(live_world.users.county1_staff, url + "serve/"),
        _post(live_world.users.county1_manager, url + "no-show/", {"reason": "叫号未到"}),
    )
    _one_won(statuses)
    assert _audit_rows(appointment, "appointment", {"served", "no_show"}) == 1
    assert Appointment.objects.get(pk=appointment.pk).status in ("served", "no_show")


def _service_race(*jobs):
    results = race(*jobs)
    won = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].status_code == 409
    return won[0], refused[0]


def test_issue9_check7_pre_application_withdrawn_twice_at_once(live_world):
    from applications.services.preapplications import pre_application_withdraw

    pre = PreApplication.objects.create(
        year=2026,
        county=live_world.county1,
        name="名单学生",
        id_number=valid_id(live_world.county1.code, "20070103"),
        basis="national_grant",
        source="manual",
        created_by=live_world.users.county1_staff,
    )
    _service_race(
        lambda: pre_application_withdraw(
            actor=live_world.users.county1_staff, pre_application=pre, reason="重复"
        ),
        lambda: pre_application_withdraw(
            actor=live_world.users.county1_manager, pre_application=pre, reason="转学"
        ),
    )
    assert PreApplication.objects.get(pk=pre.pk).status == "withdrawn"
    assert _audit_rows(pre, "pre_application", {"withdrawn"}) == 1


def test_issue9_check7_correction_approved_and_rejected_at_once(live_world):
    """Two county managers (neither the requester nor the maker) decide one correction at once."""
    application = make_application(live_world, to="contract_signed")
    correction = services.correction_request(
        actor=live_world.users.county1_staff,
        application=application,
        changes={"tuition_amount": 6000},
        reason="学费标准调整",
    )
    second_manager = UserFactory(
        username="county1_manager2", role=Role.COUNTY_MANAGER, organisation=live_world.county1
    )
    _service_race(
        lambda: services.correction_decide(
            actor=live_world.users.county1_manager, correction=correction, approve=True
        ),
        lambda: services.correction_decide(actor=second_manager, correction=correction, approve=False),
    )
    decided = ApplicationCorrection.objects.get(pk=correction.pk)
    assert decided.status in ("approved", "rejected")
    application.refresh_from_db()
    assert (application.tuition_amount == 6000) == (decided.status == "approved")
    assert (
        AuditEvent.objects.filter(
            object_pk=str(application.pk),
            action__in=["application.correction_approve", "application.correction_reject"],
        ).count()
        == 1
    )


def test_issue13_summary_forwarded_and_returned_at_once(live_world):
    """Two city managers act on one submitted county summary at once (API): forward and return — one
    change and one audit row, the other 409 (notice 八's summary state machine)."""
    import datetime as dt

    from applications.models import CountySummary
    from applications.services import summaries as summary_services

    make_application(live_world, to="contract_signed")
    summary_services.public_notice_publish(
        actor=None,
        county=live_world.county1,
        year=2026,
        place="公告栏",
        starts_on=dt.date(2026, 10, 12),
        ends_on=dt.date(2026, 10, 16),
    )
    summary = summary_services.county_summary_generate(
        actor=live_world.users.county1_staff, county=live_world.county1, year=2026
    )
    summary = summary_services.summary_transition(
        actor=live_world.users.county1_manager, summary=summary, to="submitted", today=dt.date(2026, 10, 20)
    )
    second = UserFactory(username="city1_manager2", role=Role.CITY_MANAGER, organisation=live_world.city1)
    statuses = race(
        _post(live_world.users.city1_manager, f"/api/v1/summaries/{summary.pk}/forward/"),
        _post(second, f"/api/v1/summaries/{summary.pk}/return/", {"reason": "数据有误"}),
    )
    _one_won(statuses)
    assert _audit_rows(summary, "summary", {"forwarded", "returned"}) == 1
    assert CountySummary.objects.get(pk=summary.pk).status in ("forwarded", "returned")
