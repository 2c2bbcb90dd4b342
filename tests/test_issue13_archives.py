"""Issue 13 — archives (信贷材料归档, notice 八: 次年3月底前): boxes, find by box, what is unarchived."""

import datetime

import pytest
from django.urls import reverse

from applications.models import Application
from applications.selectors import yearend as selectors
from applications.services import yearend as services
from loanportal.errors import ConflictError
from tests.factories_yearend import ARCHIVE_DAY, applications_in

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = pytest.mark.usefixtures("today")


def _box(world, number="2026-001", user=None):
    return services.archive_box_create(
        actor=user or world.users.county1_staff,
        year=2026,
        number=number,
        archived_on=datetime.date(2027, 3, 1),
        contents="借款合同、受理证明",
        location="档案室A柜",
    )


def test_issue13_notice_8_county_archives_applications_into_a_box(world):
    """Notice 八: the county archives the year's credit materials; each application lands in a box."""
    disbursed = applications_in(world, "disbursed", 2)
    box = _box(world)
    archived = services.archive_box_assign(
        actor=world.users.county1_staff, box=box, applications=disbursed, on=ARCHIVE_DAY
    )
    assert {a.status for a in archived} == {"archived"}
    assert set(Application.objects.filter(archive_box=box).values_list("pk", flat=True)) == {
        a.pk for a in disbursed
    }


def test_issue13_find_application_by_box_and_unarchived_list(world):
    disbursed = applications_in(world, "disbursed", 3)
    in_progress = applications_in(world, "receipt_entered", 1, start=10)
    box = _box(world, "2026-007")
    services.archive_box_assign(
        actor=world.users.county1_staff, box=box, applications=disbursed[:2], on=ARCHIVE_DAY
    )
    user = world.users.county1_manager
    found = list(selectors.archive_boxes_find(user=user, number="007"))
    assert found == [box] and found[0].application_count == 2
    in_box = list(selectors.applications_in_box(user=user, box=box))
    assert {a.pk for a in in_box} == {a.pk for a in disbursed[:2]}
    unarchived = list(selectors.applications_unarchived(user=user, year=2026))
    assert [a.pk for a in unarchived] == [disbursed[2].pk]  # the receipt still with the county is not listed
    assert in_progress[0].pk not in [a.pk for a in unarchived]
    assert selectors.applications_still_in_progress(user=user, year=2026) == 1


def test_issue13_archive_refuses_a_case_the_map_does_not_allow_and_changes_nothing(world):
    disbursed = applications_in(world, "disbursed", 1)
    entered = applications_in(world, "receipt_entered", 1, start=10)
    box = _box(world)
    with pytest.raises(ConflictError) as error:
        services.archive_box_assign(
            actor=world.users.county1_staff, box=box, applications=[*disbursed, *entered], on=ARCHIVE_DAY
        )
    assert "本次未归档任何申请" in error.value.message
    assert Application.objects.get(pk=disbursed[0].pk).status == "disbursed"
    assert not Application.objects.filter(archive_box=box).exists()


def test_issue13_box_number_unique_per_county_and_year(world):
    _box(world)
    with pytest.raises(ConflictError):
        _box(world)
    _box(world, user=world.users.county2_staff)  # another county may use the same number


def test_issue13_archive_pages_scope_other_county_404(world, client_for):
    disbursed = applications_in(world, "disbursed", 1)
    box = _box(world)
    other = client_for(world.users.county2_staff)
    assert other.get(reverse("archive-box-detail", args=[box.pk])).status_code == 404
    assert (
        other.post(
            reverse("archive-box-assign", args=[box.pk]), {"application": [disbursed[0].pk]}
        ).status_code
        == 404
    )
    own = client_for(world.users.county1_staff)
    page = own.get(reverse("archive-list") + "?number=2026-001").content.decode()
    assert "2026-001" in page
    response = own.post(
        reverse("archive-box-assign", args=[box.pk]), {"application": [disbursed[0].pk]}, follow=True
    )
    assert "装入第2026-001号档案盒" in response.content.decode()
    assert Application.objects.get(pk=disbursed[0].pk).archive_box_id == box.pk
    unarchived = own.get(reverse("archive-unarchived")).content.decode()
    assert disbursed[0].contract_number not in unarchived


def test_issue13_archives_api(world, api_for):
    disbursed = applications_in(world, "disbursed", 2)
    api = api_for(world.users.county1_staff)
    created = api.post(
        "/api/v1/archives/",
        {"year": 2026, "number": "2026-010", "archived_on": "2027-03-01", "contents": "借款合同"},
        format="json",
    )
    assert created.status_code == 201
    box = created.json()["id"]
    assert (
        api.post(
            "/api/v1/archives/",
            {"year": 2026, "number": "2026-010", "archived_on": "2027-03-01", "contents": "借款合同"},
            format="json",
        ).status_code
        == 409
    )
    assert api.get("/api/v1/archives/unarchived/?year=2026").json()["count"] == 2
    assigned = api.post(f"/api/v1/archives/{box}/assign/", {"applications": [disbursed[0].pk]}, format="json")
    assert assigned.status_code == 200 and assigned.json()["archived"][0]["archive_box"] == box
    assert api.get("/api/v1/archives/?number=010").json()["count"] == 1
    assert api.get(f"/api/v1/archives/{box}/applications/").json()["results"][0]["id"] == disbursed[0].pk
    assert api.get("/api/v1/archives/unarchived/").json()["count"] == 1
    assert (
        api.post(
            f"/api/v1/archives/{box}/assign/", {"applications": [disbursed[0].pk]}, format="json"
        ).status_code
        == 409
    )
    other = api_for(world.users.county2_staff)
    assert other.get(f"/api/v1/archives/{box}/").status_code == 404
    assert (
        other.post(
            f"/api/v1/archives/{box}/assign/", {"applications": [disbursed[1].pk]}, format="json"
        ).status_code
        == 404
    )
    assert (
        api_for(world.users.bank_officer)
        .post(
            "/api/v1/archives/",
            {"year": 2026, "number": "x", "archived_on": "2027-03-01", "contents": "x"},
            format="json",
        )
        .status_code
        == 403
    )
    assert api.get("/api/v1/archives/unarchived/?year=abc").status_code == 400


@pytest.mark.parametrize(
    ("url_name", "state", "username"),
    [
        ("receipt-confirmation", "receipt_entered", "county1_staff"),
        ("bank-status-list", "receipt_confirmed", "bank_officer"),
        ("archive-unarchived", "disbursed", "county1_manager"),
    ],
)
def test_issue13_list_pages_query_count_does_not_grow_with_rows(
    world, client_for, django_assert_max_num_queries, url_name, state, username
):
    """The year-end lists read each row's contract, student, county, university and clerk in the same query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    applications_in(world, state, 2)
    client = client_for(getattr(world.users, username))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    applications_in(world, state, 4, start=20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse(url_name)).content.decode()
    assert "学生23" in page
