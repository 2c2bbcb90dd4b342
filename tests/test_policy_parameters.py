"""Policy parameters per loan year (DESIGN.md "Policy parameters"): defaults from the national table,
edited by the province manager only, with a reason and an audit row; page and API."""

import pytest

from applications.models import LoanPolicy
from applications.services import lifecycle as services
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import AuditEvent

pytestmark = pytest.mark.django_db
RELIEF_DEFAULTS = {"penalty_factor": "1.30", "day_basis": 360, "settlement_month": 12, "settlement_day": 20}


def test_update_by_province_manager_is_audited(world):
    policy = services.loan_policy_ensure(year=2026)
    services.loan_policy_update(
        actor=world.users.province_manager, policy=policy, reason="省里提高上限", graduate_limit=26000
    )
    policy.refresh_from_db()
    assert policy.graduate_limit == 26000
    event = AuditEvent.objects.get(action="loan_policy.update")
    assert event.old == {"graduate_limit": 25000} and event.new == {"graduate_limit": 26000}
    assert event.reason == "省里提高上限"


@pytest.mark.parametrize("role", ["province_officer", "county1_manager", "city1_manager", "bank_officer"])
def test_others_may_not_edit(world, role):
    policy = services.loan_policy_ensure(year=2026)
    with pytest.raises(PermissionDeniedError):
        services.loan_policy_update(
            actor=getattr(world.users, role), policy=policy, reason="试图修改", minimum_amount=1
        )
    policy.refresh_from_db()
    assert policy.minimum_amount == 1000


def test_reason_required(world):
    with pytest.raises(DomainError):
        services.loan_policy_update(
            actor=world.users.province_manager,
            policy=services.loan_policy_ensure(year=2026),
            reason="",
            minimum_amount=2000,
        )


def test_pages(world, client_for):
    services.loan_policy_ensure(year=2026)
    assert "20000" in client_for(world.users.county1_staff).get("/parameters/").content.decode()
    assert client_for(world.users.county1_manager).get("/parameters/2026/edit/").status_code == 403
    assert client_for(world.users.province_manager).get("/parameters/1900/edit/").status_code == 404
    client = client_for(world.users.province_manager)
    response = client.post(
        "/parameters/2026/edit/",
        {
            "effective_from": "2026-07-01",
            "undergraduate_limit": 20000,
            "graduate_limit": 25000,
            "minimum_amount": 1500,
            "rate_rule": "5年期LPR减70个基点",
            "rate_spread_bp": -70,
            **RELIEF_DEFAULTS,
            "reason": "提高最低金额",
        },
    )
    assert response.status_code == 302
    assert LoanPolicy.objects.get(year=2026).minimum_amount == 1500
    bad = client.post(
        "/parameters/2026/edit/",
        {
            "effective_from": "2026-07-01",
            "undergraduate_limit": 500,
            "graduate_limit": 25000,
            "minimum_amount": 1000,
            "rate_rule": "x",
            "rate_spread_bp": -70,
            **RELIEF_DEFAULTS,
            "reason": "错误的修改",
        },
    )
    assert "最低金额不能高于年度上限" in bad.content.decode()


def test_api(world, api_for):
    services.loan_policy_ensure(year=2026)
    rows = api_for(world.users.county1_staff).get("/api/v1/loan-policies/").json()["results"]
    assert rows[0]["year"] == 2026 and rows[0]["undergraduate_limit"] == 20000
    assert (
        api_for(world.users.county1_manager)
        .patch("/api/v1/loan-policies/2026/", {"minimum_amount": 2000, "reason": "调整"}, format="json")
        .status_code
        == 403
    )
    response = api_for(world.users.province_manager).patch(
        "/api/v1/loan-policies/2026/", {"minimum_amount": 2000, "reason": "调整最低金额"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert LoanPolicy.objects.get(year=2026).minimum_amount == 2000


def test_issue8_get_never_writes_policy_pages_and_form(world, client_for):
    """A GET renders the defaults of a year without a row; it stores nothing and writes no audit row
    (loan_policy_for used to create the row and an audit entry while rendering a form)."""
    from deadlines.services import current_loan_year

    year = current_loan_year()
    assert not LoanPolicy.objects.exists()
    before = AuditEvent.objects.count()
    assert client_for(world.users.county1_staff).get("/parameters/").status_code == 200
    assert client_for(world.users.county1_staff).get("/applications/new/").status_code == 200
    manager = client_for(world.users.province_manager)
    page = manager.get(f"/parameters/{year}/edit/")
    assert page.status_code == 200 and "20000" in page.content.decode()
    assert not LoanPolicy.objects.exists()
    assert AuditEvent.objects.count() == before
    # saving the form stores the year (audited create + update)
    response = manager.post(
        f"/parameters/{year}/edit/",
        {
            "effective_from": f"{year}-07-01",
            "undergraduate_limit": 20000,
            "graduate_limit": 25000,
            "minimum_amount": 1500,
            "rate_rule": "5年期LPR减70个基点",
            "rate_spread_bp": -70,
            "penalty_factor": "1.30",
            "day_basis": 360,
            "settlement_month": 12,
            "settlement_day": 20,
            "reason": "提高最低金额",
        },
    )
    assert response.status_code == 302
    assert LoanPolicy.objects.get(year=year).minimum_amount == 1500
