"""Issue 10, renewal declarations (续贷声明) and their review routing — notice 三(七):
in-province university → that university only; out-of-province → the university or the student's county,
and the county takes over (兜底) what the university left unreviewed after renewal_review_due."""

import datetime

import pytest
from django.urls import reverse

from deadlines.models import EnforcementRun
from deadlines.services import calendar_run, key_date_extend, key_date_get, loan_year_ensure
from loanportal.errors import ConflictError, DomainError
from loanportal.models import AuditEvent, Notification
from renewals import rules, states
from renewals.models import RenewalDeclaration
from renewals.selectors import renewal_actions_for, renewal_queue
from renewals.services import renewal_declare, renewal_resubmit, renewal_review

from .concurrency import race
from .factories import is_postgresql

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = pytest.mark.usefixtures("today")

YEAR = 2026
NOTE = "高校逾期未审，转县级审核"


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def declare(student, *, tuition=4000, accommodation=800):
    return renewal_declare(
        actor=None,
        student=student,
        year=YEAR,
        tuition_amount=tuition,
        accommodation_amount=accommodation,
        statement="本人继续申请贷款",
        contract_number=f"C{student.pk:06d}",
    )


def snapshot(declaration) -> tuple:
    row = RenewalDeclaration.objects.get(pk=declaration.pk)
    audits = AuditEvent.objects.filter(
        object_type__icontains="renewal", object_pk=str(declaration.pk)
    ).count()
    return row.status, row.reviewed_by_id, row.return_count, row.handed_to_county, audits


def review_url(declaration) -> str:
    return f"/api/v1/renewals/{declaration.pk}/review/"


# --- the routing matrix --------------------------------------------------------------------------------


def test_notice_3_7_in_province_university_approves(world, api_for):
    declaration = declare(world.students.c1_u1)
    response = api_for(world.users.university1_officer).post(
        review_url(declaration), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == states.APPROVED
    declaration.refresh_from_db()
    assert declaration.reviewer_organisation == world.university1
    assert AuditEvent.objects.filter(action="renewal.approved", object_pk=str(declaration.pk)).count() == 1


def test_notice_3_7_county_cannot_review_in_province_declaration_page_and_api(world, api_for, client_for):
    declaration = declare(world.students.c1_u1)
    county = world.users.county1_staff
    before = snapshot(declaration)
    # the county sees the declaration of its student, without a review button
    assert renewal_actions_for(county, declaration) == []
    page = client_for(county).get(reverse("renewal-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.students.c1_u1.name in html
    assert reverse("renewal-review", args=[declaration.pk]) not in html
    assert "renewal-bulk-form" not in html
    # API: 403, nothing changed
    for body in ({"decision": "approve"}, {"decision": "reject", "reason": "不符合条件"}):
        response = api_for(county).post(review_url(declaration), body, format="json")
        assert response.status_code == 403, response.content
        assert "不得代为审核" in response.json()["detail"]
    assert "review" not in str(
        api_for(county).get(f"/api/v1/renewals/{declaration.pk}/").json()["available_actions"]
    )
    # page POST: 403, nothing changed
    response = client_for(county).post(
        reverse("renewal-review", args=[declaration.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert snapshot(declaration) == before


def test_notice_3_7_out_of_province_university_approves_before_the_date(world, api_for):
    loan_year_ensure(year=YEAR)
    declaration = declare(world.students.c1_u4)
    assert not world.university4.in_province
    assert [a.code for a in renewal_actions_for(world.users.university4_officer, declaration)] == [
        "approve",
        "return",
        "reject",
    ]
    response = api_for(world.users.university4_officer).post(
        review_url(declaration), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200
    # nothing left to hand over on the date
    calendar_run(as_of=d("2026-07-11"))
    declaration.refresh_from_db()
    assert declaration.status == states.APPROVED and not declaration.handed_to_county


def test_notice_3_7_county_reviews_out_of_province_declaration(world, api_for, client_for):
    declaration = declare(world.students.c1_u4)
    county = world.users.county1_staff
    assert [a.code for a in renewal_actions_for(county, declaration)] == ["approve", "return", "reject"]
    html = client_for(county).get(reverse("renewal-list")).content.decode()
    assert reverse("renewal-review", args=[declaration.pk]) in html
    response = api_for(county).post(review_url(declaration), {"decision": "approve"}, format="json")
    assert response.status_code == 200
    declaration.refresh_from_db()
    assert declaration.status == states.APPROVED and declaration.reviewer_organisation == world.county1


def test_notice_3_7_other_university_and_other_county_see_nothing(world, api_for):
    declaration = declare(world.students.c1_u4)
    for user in (world.users.university1_officer, world.users.county2_staff):
        response = api_for(user).post(review_url(declaration), {"decision": "approve"}, format="json")
        assert response.status_code == 404
        assert not renewal_queue(user=user).filter(pk=declaration.pk).exists()


def test_notice_3_7_routing_rule_is_database_free():
    kw = {"organisation_id": 1, "university_id": 1, "county_id": 2}
    assert (
        rules.review_permission_refusal(role="university_officer", university_in_province=True, **kw) is None
    )
    county = {"organisation_id": 2, "university_id": 1, "county_id": 2}
    assert rules.review_permission_refusal(role="county_staff", university_in_province=True, **county)
    assert (
        rules.review_permission_refusal(role="county_staff", university_in_province=False, **county) is None
    )
    assert rules.review_permission_refusal(role="province_manager", university_in_province=False, **county)


# --- the hand-over on renewal_review_due ------------------------------------------------------------------


def _handed(world):
    return renewal_queue(user=world.users.county1_staff, handed=True)


def test_notice_3_7_unreviewed_out_of_province_handed_to_county_once_when_run_twice(world, client_for):
    loan_year_ensure(year=YEAR)
    outside = declare(world.students.c1_u4)
    inside = declare(world.students.c1_u1)
    calendar_run(as_of=d("2026-07-10"))  # the review day itself is still the university's
    assert not _handed(world).exists()
    calendar_run(as_of=d("2026-07-11"))
    calendar_run(as_of=d("2026-07-11"))
    calendar_run(as_of=d("2026-07-12"))
    assert list(_handed(world)) == [outside]
    inside.refresh_from_db()
    assert not inside.handed_to_county  # in-province: never the county's
    assert AuditEvent.objects.filter(action="renewal.handed_to_county").count() == 1
    assert (
        EnforcementRun.objects.filter(
            key_date__code="renewal_review_due", organisation=world.university4
        ).count()
        == 1
    )
    # both sides notified, once
    county_notes = Notification.objects.filter(recipient__organisation=world.county1, title__contains=NOTE)
    assert county_notes.count() == 2  # county1_staff and county1_manager
    assert (
        Notification.objects.filter(recipient=world.users.university4_officer, category="renewal").count()
        == 1
    )
    # the county's queue shows it once, with the note, and the county may review it
    html = client_for(world.users.county1_staff).get(reverse("renewal-list") + "?handed=1").content.decode()
    assert html.count(NOTE) == 1  # the one row
    assert html.count(f'data-renewal="{outside.pk}"') == 1
    assert reverse("renewal-review", args=[outside.pk]) in html


def test_notice_3_7_hand_over_catches_up_after_an_outage(world):
    loan_year_ensure(year=YEAR)
    outside = declare(world.students.c1_u4)
    calendar_run(as_of=d("2026-07-25"))  # the worker was down from 7/10 to 7/25
    calendar_run(as_of=d("2026-07-26"))
    outside.refresh_from_db()
    assert outside.handed_to_county and outside.status == states.SUBMITTED
    assert AuditEvent.objects.filter(action="renewal.handed_to_county").count() == 1
    assert Notification.objects.filter(recipient=world.users.county1_staff, title__contains=NOTE).count() == 1


def test_notice_3_7_extended_university_is_not_handed_over(world):
    loan_year_ensure(year=YEAR)
    outside = declare(world.students.c1_u4)
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("renewal_review_due", year=YEAR),
        organisation=world.university4,
        end_date=d("2026-07-20"),
        reason="测试：高校续贷审核延期",
    )
    calendar_run(as_of=d("2026-07-11"))
    calendar_run(as_of=d("2026-07-20"))
    outside.refresh_from_db()
    assert not outside.handed_to_county
    calendar_run(as_of=d("2026-07-21"))
    outside.refresh_from_db()
    assert outside.handed_to_county


# --- return → resubmit once → only approve or reject ---------------------------------------------------


def test_issue10_return_resubmit_once_then_a_second_return_is_refused(world, api_for):
    declaration = declare(world.students.c1_u1)
    api = api_for(world.users.university1_officer)
    no_reason = api.post(review_url(declaration), {"decision": "return"}, format="json")
    assert no_reason.status_code == 400 and "原因" in str(no_reason.json())
    response = api.post(
        review_url(declaration), {"decision": "return", "reason": "住宿费有误"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == states.RETURNED
    assert response.json()["available_actions"] == []
    renewal_resubmit(actor=None, declaration=declaration, tuition_amount=4000, accommodation_amount=600)
    declaration.refresh_from_db()
    assert declaration.status == states.RESUBMITTED and declaration.return_count == 1
    assert [a.code for a in renewal_actions_for(world.users.university1_officer, declaration)] == [
        "approve",
        "reject",
    ]
    second = api.post(review_url(declaration), {"decision": "return", "reason": "再次退回"}, format="json")
    assert second.status_code == 409 and "只能审核通过或不予通过" in second.json()["detail"]
    declaration.refresh_from_db()
    assert declaration.status == states.RESUBMITTED
    with pytest.raises(ConflictError):  # and no second resubmission
        renewal_resubmit(actor=None, declaration=declaration, tuition_amount=4000, accommodation_amount=600)
    assert api.post(review_url(declaration), {"decision": "approve"}, format="json").status_code == 200


def test_issue10_review_body_is_validated(world, api_for):
    declaration = declare(world.students.c1_u1)
    api = api_for(world.users.university1_officer)
    for body in (["approve"], "approve", {"decision": "maybe"}, {"decision": "reject"}, {}):
        response = api.post(review_url(declaration), body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert snapshot(declaration)[0] == states.SUBMITTED


def test_issue10_amounts_checked_against_limit_and_fee_standard(world, api_for):
    from renewals.services import fee_standard_set

    with pytest.raises(Exception, match="年度上限"):
        declare(world.students.c1_u1, tuition=19000, accommodation=2000)
    fee_standard_set(
        actor=None,
        university=world.university1,
        year=YEAR,
        major=world.students.c1_u1.major,
        level=world.students.c1_u1.level,
        tuition=5000,
        accommodation=1000,
    )
    with pytest.raises(Exception, match="收费标准"):
        declare(world.students.c1_u1, tuition=6000, accommodation=800)
    response = api_for(world.users.county1_staff).post(
        "/api/v1/renewals/",
        {
            "student": world.students.c1_u1.pk,
            "year": YEAR,
            "contract_number": "62202500001",
            "tuition_amount": 5000,
            "accommodation_amount": 1000,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    again = api_for(world.users.county1_staff).post(
        "/api/v1/renewals/",
        {"student": world.students.c1_u1.pk, "year": YEAR, "contract_number": "x", "tuition_amount": 5000},
        format="json",
    )
    assert again.status_code == 409
    foreign = api_for(world.users.county2_staff).post(
        "/api/v1/renewals/",
        {"student": world.students.c1_u4.pk, "year": YEAR, "contract_number": "x", "tuition_amount": 4000},
        format="json",
    )
    assert foreign.status_code == 404
    with pytest.raises(DomainError, match="合同编号"):
        renewal_declare(actor=None, student=world.students.c1_u4, year=YEAR, tuition_amount=4000)


def test_issue10_queue_filters_and_bulk_approve(world, client_for):
    first, second = declare(world.students.c1_u1), declare(world.students.c3_u1)
    other = declare(world.students.c2_u2)  # another university: not in the queue
    client = client_for(world.users.university1_officer)
    html = client.get(reverse("renewal-list") + "?q=甲一").content.decode()
    assert world.students.c1_u1.name in html and world.students.c3_u1.name not in html
    assert world.students.c2_u2.name not in client.get(reverse("renewal-list")).content.decode()
    response = client.post(
        reverse("renewal-bulk-approve"),
        {"ids": [first.pk, second.pk, other.pk], "next_query": "status=submitted"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?status=submitted")
    statuses = dict(RenewalDeclaration.objects.values_list("pk", "status"))
    assert statuses == {first.pk: states.APPROVED, second.pk: states.APPROVED, other.pk: states.SUBMITTED}
    reject = client.post(
        reverse("renewal-review", args=[first.pk]), {"decision": "reject", "reason": "x"}, follow=True
    )
    assert "不能变更" in reject.content.decode()


def test_issue10_page_return_with_reason(world, client_for):
    declaration = declare(world.students.c1_u4)
    client = client_for(world.users.university4_officer)
    response = client.post(
        reverse("renewal-review", args=[declaration.pk]), {"decision": "return"}, follow=True
    )
    assert "必须填写原因" in response.content.decode()
    client.post(
        reverse("renewal-review", args=[declaration.pk]), {"decision": "return", "reason": "金额有误"}
    )
    declaration.refresh_from_db()
    assert declaration.status == states.RETURNED and declaration.review_reason == "金额有误"


# --- two reviewers at once ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, second",
    [
        (("university1_officer", {"decision": "approve"}), ("university1_manager", {"decision": "approve"})),
        (
            ("university1_officer", {"decision": "approve"}),
            ("university1_manager", {"decision": "reject", "reason": "不符合续贷条件"}),
        ),
    ],
    ids=["approve-approve", "approve-reject"],
)
def test_issue10_two_officers_at_once_one_wins_the_other_409(live_world, first, second):
    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL row locks")
    from rest_framework.test import APIClient

    declaration = declare(live_world.students.c1_u1)

    def post(who, body):
        def job():
            api = APIClient()
            api.force_authenticate(getattr(live_world.users, who))
            return api.post(review_url(declaration), body, format="json").status_code

        return job

    statuses = race(post(*first), post(*second))
    assert sorted(statuses) == [200, 409], statuses
    assert (
        AuditEvent.objects.filter(
            object_pk=str(declaration.pk), action__in=["renewal.approved", "renewal.rejected"]
        ).count()
        == 1
    )


def test_notice_3_7_county_and_university_race_on_out_of_province(live_world):
    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL row locks")
    declaration = declare(live_world.students.c1_u4)
    results = race(
        lambda: renewal_review(
            actor=live_world.users.county1_staff, declaration=declaration, decision="approve"
        ),
        lambda: renewal_review(
            actor=live_world.users.university4_officer,
            declaration=declaration,
            decision="reject",
            reason="不符",
        ),
    )
    assert sum(isinstance(r, ConflictError) for r in results) == 1
    assert sum(isinstance(r, RenewalDeclaration) for r in results) == 1


def test_issue10_demo_declarations_in_and_out_of_province_in_several_states(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    rows = list(RenewalDeclaration.objects.select_related("university"))
    inside = {r.status for r in rows if r.university.in_province}
    outside = {r.status for r in rows if not r.university.in_province}
    assert {states.SUBMITTED, states.APPROVED, states.RETURNED, states.RESUBMITTED, states.REJECTED} <= inside
    assert {states.SUBMITTED, states.APPROVED} <= outside
    assert AuditEvent.objects.filter(action="renewal.submitted").count() == len(rows)
    call_command("seed_demo", stdout=StringIO())  # idempotent
    assert RenewalDeclaration.objects.count() == len(rows)
