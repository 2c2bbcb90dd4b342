"""Issue 11 API: /api/v1/relief-cases/ (+ review actions) and /api/v1/relief-batches/, scoped."""

import pytest
from django.utils import timezone

from repayment_relief import states

from .factories_relief import case_in_county_review, case_submitted, contract_for, upload_all

URL = "/api/v1/relief-cases/"
BATCHES = "/api/v1/relief-batches/"


@pytest.fixture(autouse=True)
def _relief_root(settings, tmp_path):
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")


def test_issue11_api_article_19_create_and_scope(world, api_for):
    student = world.students.c1_u1
    contract = contract_for(student)
    body = {
        "borrower": student.pk,
        "contracts": [contract.pk],
        "category": "1",
        "applicant_kind": "co_borrower",
        "applicant_name": "甲父",
        "applicant_id_number": "110101196501011234",
        "applicant_relationship": "父亲",
        "county_found": True,
    }
    response = api_for(world.users.county1_staff).post(URL, body, format="json")
    assert response.status_code in (201, 400), response.json()
    if response.status_code == 400:  # the example ID fails the checksum: use the borrower's own
        body.update(
            applicant_kind="borrower", applicant_name=student.name, applicant_id_number=student.id_number
        )
        response = api_for(world.users.county1_staff).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["county_found"] and data["priority"] == 1 and "全部" in data["scope_label"]
    assert "*" in data["borrower_id_number"]
    assert api_for(world.users.county2_staff).get(f"{URL}{data['id']}/").status_code == 404
    assert api_for(world.users.county2_staff).post(URL, body, format="json").status_code == 404
    assert api_for(world.users.province_officer).post(URL, body, format="json").status_code == 403


def test_issue11_api_article_20_and_21_review_actions(world, api_for):
    """第二十条, 第二十一条（一）: county decision by the manager only; province only after the county; return."""
    case = case_in_county_review(world)
    province = api_for(world.users.province_officer)
    response = province.post(f"{URL}{case.pk}/province-decision/", {"decision": "pass"}, format="json")
    assert response.status_code == 409
    response = api_for(world.users.county1_staff).post(
        f"{URL}{case.pk}/county-decision/", {"decision": "pass"}, format="json"
    )
    assert response.status_code == 403
    response = api_for(world.users.county1_manager).post(
        f"{URL}{case.pk}/county-decision/", {"decision": "maybe"}, format="json"
    )
    assert response.status_code == 400
    response = api_for(world.users.county1_manager).post(
        f"{URL}{case.pk}/county-decision/", {"decision": "pass"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == states.COUNTY_PASSED
    submitted = case_submitted(world, student=world.students.c1_u4)
    response = province.post(f"{URL}{submitted.pk}/province-decision/", {"decision": "return"}, format="json")
    assert response.status_code == 400  # a reason is required
    response = province.post(
        f"{URL}{submitted.pk}/province-decision/", {"decision": "return", "reason": "缺病历"}, format="json"
    )
    assert response.json()["status"] == states.RETURNED and response.json()["province_reason"] == "缺病历"
    response = api_for(world.users.county1_staff).post(f"{URL}{submitted.pk}/resume/", {}, format="json")
    assert response.json()["status"] == states.COUNTY_REVIEW


def test_issue11_api_batches_hand_over(world, api_for):
    case = case_submitted(world)
    province = api_for(world.users.province_officer)
    province.post(f"{URL}{case.pk}/province-decision/", {"decision": "pass"}, format="json")
    assert api_for(world.users.county1_staff).post(BATCHES, {"year": 2026}, format="json").status_code == 403
    response = province.post(BATCHES, {"year": timezone.localdate().year}, format="json")
    assert response.status_code == 201
    batch = response.json()
    assert (
        province.post(f"{BATCHES}{batch['id']}/hand-over/", {"received_on": "x"}, format="json").status_code
        == 400
    )
    today = timezone.localdate().isoformat()
    response = province.post(f"{BATCHES}{batch['id']}/hand-over/", {"received_on": today}, format="json")
    assert response.status_code == 200 and response.json()["cutoff_date"]
    assert (
        province.post(f"{BATCHES}{batch['id']}/hand-over/", {"received_on": today}, format="json").status_code
        == 409
    )
    bank = api_for(world.users.bank_officer)
    assert bank.get(BATCHES).json()["count"] == 1
    assert bank.get(f"{URL}{case.pk}/").status_code == 200
    assert api_for(world.users.county1_staff).get(BATCHES).json()["count"] == 0


def test_issue11_api_verify_and_check(world, api_for):
    from .factories_relief import open_case

    case = open_case(world)
    staff = api_for(world.users.county1_staff)
    assert (
        staff.post(f"{URL}{case.pk}/check/", {}, format="json").json()["status"]
        == states.MATERIALS_INCOMPLETE
    )
    upload_all(case, world.users.county1_staff)
    assert staff.post(f"{URL}{case.pk}/check/", {}, format="json").json()["status"] == states.COUNTY_REVIEW
    body = {
        "method": "phone",
        "checked_by": "王",
        "checked_on": timezone.localdate().isoformat(),
        "findings": "属实",
        "bank_payment_told": True,
    }
    response = staff.post(f"{URL}{case.pk}/verify/", body, format="json")
    assert response.status_code == 200 and response.json()["bank_payment_told"]
    assert staff.post(f"{URL}{case.pk}/verify/", ["x"], format="json").status_code == 400
