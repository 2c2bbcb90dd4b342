"""Intake pages and API: scope (other county → 404, university/bank → 403, city and province read-only),
booking over HTTP, the 409 on a full slot, the OpenAPI schema, and the query count of the queue page."""

import datetime

import pytest
from django.utils import timezone

from applications.models import Appointment, IntakePlan, QueueSnapshot, TimeSlot
from applications.services import queue as services
from applications.services import queue_warnings

from .factories_intake import clerk_of, make_site, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def now_morning(monkeypatch):
    """Pages use today's date; the services' clock is put at 07:00 today so every slot is ahead."""
    moment = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(services.clock, "now", lambda: moment)
    return moment


@pytest.fixture
def setup(world, now_morning):
    today = now_morning.date()
    site1 = make_site(world.county1)
    site3 = make_site(world.county3, name="秦安县受理大厅")
    for site in (site1, site3):
        services.slots_generate(
            actor=clerk_of(site.county), site=site, start=today, end=today + datetime.timedelta(days=2)
        )
    a1 = services.appointment_book(
        actor=world.users.county1_staff, slot=site1.slots.first(), **person(world.county1, 1)
    )
    a3 = services.appointment_book(
        actor=world.users.county3_staff, slot=site3.slots.first(), **person(world.county3, 3)
    )
    return {"today": today, "site1": site1, "site3": site3, "a1": a1, "a3": a3}


def pages(setup, county):
    site = setup["site1"]
    return [
        "/intake/queue/",
        f"/intake/queue/?site={site.pk}",
        f"/intake/sites/{site.pk}/screen/",
        f"/intake/sites/{site.pk}/screen/board/",
        f"/intake/warnings/{county.pk}/",
        f"/intake/plan/{county.pk}/",
        "/intake/warnings/",
    ]


@pytest.mark.parametrize(
    "username, expected",
    [
        ("county1_staff", 200),
        ("county1_manager", 200),
        ("city1_manager", 200),
        ("province_manager", 200),
        ("province_officer", 200),
        ("county3_staff", 404),
        ("county2_staff", 404),
        ("university1_officer", 403),
        ("bank_officer", 403),
    ],
)
def test_intake_pages_scope(world, setup, client_for, username, expected):
    """Pages of county 1's site: its county, its city and the province read them; another county gets 404;
    a university or the bank 403."""
    client = client_for(getattr(world.users, username))
    site = setup["site1"]
    for url in (
        f"/intake/sites/{site.pk}/screen/",
        f"/intake/warnings/{world.county1.pk}/",
        f"/intake/plan/{world.county1.pk}/",
    ):
        response = client.get(url, follow=True)
        assert response.status_code == expected, url
    response = client.get(f"/intake/queue/?site={site.pk}")
    if expected == 200:
        assert response.status_code == 200
    elif expected == 403:
        assert response.status_code == 403


def test_other_county_cannot_act_on_an_appointment(world, setup, client_for):
    client = client_for(world.users.county3_staff)
    response = client.post(f"/intake/appointments/{setup['a1'].pk}/cancel/")
    assert response.status_code == 404
    assert Appointment.objects.get(pk=setup["a1"].pk).status == "booked"
    city = client_for(world.users.city1_manager)
    assert city.post(f"/intake/appointments/{setup['a1'].pk}/cancel/").status_code == 403
    assert Appointment.objects.get(pk=setup["a1"].pk).status == "booked"


def test_city_reads_its_counties_plans_but_cannot_edit(world, setup, client_for):
    """notice 四(九): the city sees its counties' plans read-only; counties over 5,000 are marked."""
    world.county1.expected_applicants = 6200
    world.county1.save()
    services.intake_plan_save(
        actor=world.users.county1_staff, county=world.county1, year=setup["today"].year, volunteers=8
    )
    city = client_for(world.users.city1_manager)
    page = city.get(f"/intake/plan/{world.county1.pk}/").content.decode()
    assert "只读" in page and "市级重点监督" in page
    assert city.post(f"/intake/plan/{world.county1.pk}/", {"volunteers": 1}).status_code == 403
    assert IntakePlan.objects.get(county=world.county1).volunteers == 8
    assert city.get(f"/intake/plan/{world.county3.pk}/").status_code == 404  # not its county
    table = city.get("/intake/warnings/").content.decode()
    assert world.county1.name in table and world.county3.name not in table
    assert "重点监督" in table


def test_county_edits_its_plan_and_site(world, setup, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(
        "/intake/plan/", {"expected_applicants": 6300, "volunteers": 12, "measures": "错峰预约"}
    )
    assert response.status_code == 302
    plan = IntakePlan.objects.get(county=world.county1)
    assert (plan.expected_applicants, plan.volunteers) == (6300, 12)
    site = setup["site1"]
    data = {
        "name": site.name,
        "kind": "county_center",
        "address": "",
        "opening_weekdays": [1, 2, 3, 4, 5],
        "opens_at": "08:00",
        "closes_at": "12:00",
        "lunch_break_minutes": 0,
        "minutes_per_case": 15,
        "slot_minutes": 60,
        "is_active": "on",
        "windows": 3,
    }
    assert client.post(f"/intake/sites/{site.pk}/edit/", data).status_code == 302
    site.refresh_from_db()
    assert site.minutes_per_case == 15 and site.windows.filter(is_active=True).count() == 3
    page = client.get("/intake/plan/").content.decode()
    assert "48" in page  # 3 windows × 240 min / 15


def test_booking_and_queue_over_html(world, setup, client_for):
    client = client_for(world.users.county1_staff)
    site = setup["site1"]
    slot = site.slots.order_by("date", "starts_at")[1]
    caller = person(world.county1, 7)
    response = client.post(f"/intake/sites/{site.pk}/book/", {"slot": slot.pk, **caller}, follow=True)
    assert "已为" in response.content.decode()
    appointment = Appointment.objects.get(id_number=caller["id_number"])
    client.post(f"/intake/appointments/{appointment.pk}/check-in/")
    window = site.windows.get(number=1)
    client.post(f"/intake/windows/{window.pk}/call-next/")
    appointment.refresh_from_db()
    assert appointment.status == "called" and appointment.window == window
    board = client.get(f"/intake/sites/{site.pk}/screen/board/").content.decode()
    assert "001" in board and "张*明" in board and caller["id_number"] not in board
    queue = client.get(f"/intake/queue/?site={site.pk}").content.decode()
    assert f"/applications/new/?appointment={appointment.pk}" in queue
    assert caller["id_number"] not in queue  # masked


def test_queue_page_query_count_does_not_grow_with_rows(
    world, setup, client_for, django_assert_max_num_queries
):
    site = setup["site1"]
    slot = site.slots.order_by("date", "starts_at").first()
    for n in range(5):
        appointment = services.appointment_book(
            actor=world.users.county1_staff, slot=slot, **person(world.county1, 20 + n)
        )
        services.appointment_check_in(actor=world.users.county1_staff, appointment=appointment)
    client = client_for(world.users.county1_staff)
    url = f"/intake/queue/?site={site.pk}"
    client.get(url)
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    for n in range(5):
        appointment = services.appointment_book(
            actor=world.users.county1_staff,
            slot=slot.__class__.objects.filter(site=site).order_by("date", "starts_at")[1],
            **person(world.county1, 40 + n),
        )
        services.appointment_check_in(actor=world.users.county1_staff, appointment=appointment)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


# --- API ---------------------------------------------------------------------------------------------


def test_api_sites_with_windows_and_capacity(world, setup, api_for):
    data = api_for(world.users.county1_staff).get("/api/v1/intake-sites/").json()
    assert [row["name"] for row in data["results"]] == [setup["site1"].name]
    row = data["results"][0]
    assert [w["number"] for w in row["windows"]] == [1, 2]
    assert row["daily_capacity"] == 24  # 2 × 240 / 20


@pytest.mark.parametrize(
    "username, sees",
    [
        ("county1_staff", {"a1"}),
        ("county3_staff", {"a3"}),
        ("city1_manager", {"a1"}),
        ("province_manager", {"a1", "a3"}),
    ],
)
def test_api_appointments_scope(world, setup, api_for, username, sees):
    api = api_for(getattr(world.users, username))
    listed = {row["id"] for row in api.get("/api/v1/appointments/").json()["results"]}
    assert listed == {setup[key].pk for key in sees}
    for key in ("a1", "a3"):
        assert api.get(f"/api/v1/appointments/{setup[key].pk}/").status_code == (200 if key in sees else 404)


@pytest.mark.parametrize("username", ["university1_officer", "bank_officer"])
def test_api_refuses_other_roles(world, setup, api_for, username):
    api = api_for(getattr(world.users, username))
    assert api.get("/api/v1/appointments/").status_code == 403
    assert api.get("/api/v1/intake-sites/").status_code == 403


def test_api_booking_and_actions(world, setup, api_for):
    api = api_for(world.users.county1_staff)
    site = setup["site1"]
    slot = site.slots.order_by("date", "starts_at")[1]
    caller = person(world.county1, 30)
    response = api.post("/api/v1/appointments/", {"slot": slot.pk, **caller}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number"] != caller["id_number"] and body["id_number"].endswith(caller["id_number"][-4:])
    pk = body["id"]
    assert api.post(f"/api/v1/appointments/{pk}/check-in/").json()["queue_number"] == 1
    window = site.windows.get(number=2)
    called = api.post("/api/v1/appointments/call-next/", {"window": window.pk}, format="json")
    assert called.status_code == 200 and called.json()["window_number"] == 2
    assert api.post(f"/api/v1/appointments/{pk}/serve/").json()["status"] == "served"
    assert api.post(f"/api/v1/appointments/{pk}/cancel/").status_code == 409
    # city reads, may not write
    city = api_for(world.users.city1_manager)
    assert city.post(f"/api/v1/appointments/{setup['a1'].pk}/cancel/").status_code == 403
    assert (
        city.post(
            "/api/v1/appointments/", {"slot": slot.pk, **person(world.county1, 31)}, format="json"
        ).status_code
        == 403
    )
    # other county: the slot is not in its scope (a reference out of scope is a 404, like a URL)
    other = api_for(world.users.county3_staff)
    assert other.post(f"/api/v1/appointments/{setup['a1'].pk}/cancel/").status_code == 404
    assert (
        other.post(
            "/api/v1/appointments/", {"slot": slot.pk, **person(world.county3, 32)}, format="json"
        ).status_code
        == 404
    )


def test_api_full_slot_answers_409(world, setup, api_for):
    api = api_for(world.users.county1_staff)
    slot = setup["site1"].slots.order_by("date", "starts_at")[2]
    for n in range(slot.capacity):
        services.appointment_book(actor=world.users.county1_staff, slot=slot, **person(world.county1, 50 + n))
    response = api.post(
        "/api/v1/appointments/", {"slot": slot.pk, **person(world.county1, 99)}, format="json"
    )
    assert response.status_code == 409
    assert "该时段已约满" in response.json()["detail"]
    assert TimeSlot.objects.get(pk=slot.pk).booked == slot.capacity


def test_api_in_openapi_schema(world, api_for):
    schema = api_for(world.users.province_manager).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/intake-sites/",
        "/api/v1/appointments/",
        "/api/v1/appointments/call-next/",
        "/api/v1/appointments/{id}/check-in/",
    ):
        assert path in paths, path


def test_warning_page_and_dashboard_cards(world, setup, client_for):
    queue_warnings.queue_snapshot_compute(county=world.county1, on=setup["today"])
    QueueSnapshot.objects.filter(county=world.county1).update(level="red", reasons=["测试：预约号将满"])
    county = client_for(world.users.county1_staff).get("/").content.decode()
    assert "受理预警" in county and "今日预约" in county
    city = client_for(world.users.city1_manager)
    assert "受理红色预警县区" in city.get("/").content.decode()
    page = city.get(f"/intake/warnings/{world.county1.pk}/").content.decode()
    assert "chart-served" in page and "逐周统计" in page and "测试：预约号将满" in page


def test_booking_form_offers_only_slots_not_yet_ended(world, setup, client_for, monkeypatch):
    site = setup["site1"]
    first = site.slots.order_by("date", "starts_at").first()  # 08:00–09:00 today
    client = client_for(world.users.county1_staff)
    assert f'<option value="{first.pk}">' in client.get(f"/intake/queue/?site={site.pk}").content.decode()
    later = timezone.localtime().replace(hour=9, minute=5, second=0, microsecond=0)
    monkeypatch.setattr(services.clock, "now", lambda: later)
    assert f'<option value="{first.pk}">' not in client.get(f"/intake/queue/?site={site.pk}").content.decode()
