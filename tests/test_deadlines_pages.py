"""The calendar page, the dashboard card and the API (notice 八): scope, edits by the province manager."""

import datetime

import pytest
from django.urls import reverse

from deadlines import registry, services
from deadlines.models import KeyDate, KeyDateExtension
from loanportal.models import AuditEvent

from .factories_deadlines import Counter, d

ALL_USERS = [
    "province_officer",
    "province_manager",
    "bank_officer",
    "city1_manager",
    "county1_staff",
    "county1_manager",
    "county2_staff",
    "county3_staff",
    "university1_officer",
    "university1_manager",
    "university4_officer",
]


@pytest.fixture
def calendar(world, monkeypatch):
    monkeypatch.setattr(registry, "_enforcements", {})
    monkeypatch.setattr(registry, "_obligations", {})
    loan_year = services.loan_year_ensure(year=2026)
    services.key_date_extend(
        actor=world.users.province_manager,
        key_date=loan_year.key_dates.get(code="intake_window"),
        organisation=world.county2,
        end_date=d("2026-09-30"),
        reason="受理点装修，顺延十天",
    )
    return loan_year


@pytest.mark.parametrize("username", ALL_USERS)
def test_every_role_sees_the_calendar_and_the_nav_item(calendar, world, client_for, username):
    page = client_for(getattr(world.users, username)).get(reverse("calendar"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "工作日历" in html and "7月15日至9月20日" in html and "11月20日至11月30日" in html
    assert 'href="/calendar/"' in html


def test_county_sees_only_its_own_extension_notice_8(calendar, world, client_for):
    """Notice 八: county 2 sees its intake window extended to 9/30; county 1 sees 9/20 and no extension."""
    html = client_for(world.users.county2_staff).get("/calendar/").content.decode()
    assert "已延期" in html and "9月30日" in html and "受理点装修" in html
    html = client_for(world.users.county1_staff).get("/calendar/").content.decode()
    assert "受理点装修" not in html and "已延期" not in html


def test_scope_of_the_overview(calendar, world, client_for):
    """A city sees its counties; the province all; a county no overview of others."""
    html = client_for(world.users.city1_manager).get("/calendar/").content.decode()
    assert world.county1.name in html and world.county2.name in html
    assert world.county3.name not in html
    html = client_for(world.users.province_officer).get("/calendar/").content.decode()
    assert world.county3.name in html and world.university4.name in html
    html = client_for(world.users.county1_staff).get("/calendar/").content.decode()
    assert world.county2.name not in html and world.county3.name not in html


def test_overview_shows_open_items_and_overdue(calendar, world, client_for, monkeypatch):
    """Who still owes what: the registered counter's numbers per organisation; overdue in red."""
    counter = Counter()
    registry.register_obligation("receipt_confirm_due", counter)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: d("2026-10-12"))
    html = client_for(world.users.city1_manager).get("/calendar/").content.decode()
    assert "待办2" in html  # county 1 has two students
    assert "已逾期" in html
    html = client_for(world.users.county1_staff).get("/").content.decode()
    assert "本单位工作日历待办" in html and "电子回执确认" in html and "overdue" in html


def test_preview_lists_the_dry_run_and_writes_nothing(calendar, world, client_for):
    count = AuditEvent.objects.count()
    page = client_for(world.users.province_manager).get("/calendar/?as_of=2026-10-14")
    html = page.content.decode()
    assert "2026年10月14日的每日任务将会" in html
    assert "汇总表报送" in html and "还有1天截止" in html
    assert AuditEvent.objects.count() == count
    html = client_for(world.users.county1_staff).get("/calendar/?as_of=2026-10-14").content.decode()
    assert "汇总表报送" not in html  # the city's reminder is not in the county's scope


def test_province_manager_extends_a_county_on_the_page_notice_8(calendar, world, client_for):
    """Notice 八: the province manager extends county 1's intake window with a reason (audited)."""
    intake = calendar.key_dates.get(code="intake_window")
    response = client_for(world.users.province_manager).post(
        reverse("calendar-extension-create"),
        {
            "year": 2026,
            "key_date": intake.pk,
            "organisation": world.county1.pk,
            "end_date": "2026-09-27",
            "reason": "暴雨停电三天",
        },
    )
    assert response.status_code == 302
    assert services.deadline_for("intake_window", world.county1, year=2026) == d("2026-09-27")
    assert AuditEvent.objects.filter(action="key_date.extend", organisation=world.county1).exists()


def test_extension_form_errors_are_shown(calendar, world, client_for):
    intake = calendar.key_dates.get(code="intake_window")
    response = client_for(world.users.province_manager).post(
        reverse("calendar-extension-create"),
        {
            "year": 2026,
            "key_date": intake.pk,
            "organisation": world.university1.pk,
            "end_date": "2026-09-27",
            "reason": "理由",
        },
    )
    assert response.status_code == 400
    assert "不能为此机构延期" in response.content.decode()
    assert not KeyDateExtension.objects.filter(organisation=world.university1).exists()


@pytest.mark.parametrize("username", ["province_officer", "city1_manager", "county2_staff"])
def test_others_may_not_edit_the_calendar(calendar, world, client_for, username):
    client = client_for(getattr(world.users, username))
    intake = calendar.key_dates.get(code="intake_window")
    response = client.post(
        reverse("calendar-extension-create"),
        {
            "year": 2026,
            "key_date": intake.pk,
            "organisation": world.county1.pk,
            "end_date": "2026-09-27",
            "reason": "理由",
        },
    )
    assert response.status_code == 403
    assert client.get(reverse("calendar-key-date-edit", args=[intake.pk])).status_code == 403
    assert not KeyDateExtension.objects.filter(organisation=world.county1).exists()


def test_province_manager_moves_a_date(calendar, world, client_for):
    kd = calendar.key_dates.get(code="receipt_entry_due")
    client = client_for(world.users.province_manager)
    assert client.get(reverse("calendar-key-date-edit", args=[kd.pk])).status_code == 200
    response = client.post(
        reverse("calendar-key-date-edit", args=[kd.pk]),
        {
            "start_date": "2026-10-12",
            "end_date": "2026-10-12",
            "reminder_days": "7，3，1",
            "reason": "系统升级",
        },
    )
    assert response.status_code == 302
    kd.refresh_from_db()
    assert kd.end_date == d("2026-10-12")
    assert AuditEvent.objects.get(action="key_date.update").reason == "系统升级"


# --- API ------------------------------------------------------------------------------------------


def test_api_read_for_all(calendar, world, api_for):
    api = api_for(world.users.county1_staff)
    years = api.get("/api/v1/loan-years/").json()
    assert [y["year"] for y in years["results"]] == [2026]
    assert len(years["results"][0]["key_dates"]) == 9
    dates = api.get("/api/v1/key-dates/?loan_year__year=2026&code=intake_window").json()["results"]
    assert dates[0]["start_date"] == "2026-07-15" and dates[0]["end_date"] == "2026-09-20"


def test_api_extensions_are_scoped(calendar, world, api_for):
    assert api_for(world.users.county1_staff).get("/api/v1/key-date-extensions/").json()["count"] == 0
    mine = api_for(world.users.county2_staff).get("/api/v1/key-date-extensions/").json()["results"]
    assert [(e["organisation"], e["end_date"]) for e in mine] == [(world.county2.pk, "2026-09-30")]
    assert api_for(world.users.city1_manager).get("/api/v1/key-date-extensions/").json()["count"] == 1
    assert (
        api_for(world.users.city1_manager).get(f"/api/v1/key-date-extensions/{mine[0]['id']}/").status_code
        == 200
    )
    other = api_for(world.users.county3_staff).get(f"/api/v1/key-date-extensions/{mine[0]['id']}/")
    assert other.status_code == 404


@pytest.mark.parametrize("username", ["province_officer", "city1_manager", "county1_manager", "bank_officer"])
def test_api_writes_forbidden_for_other_roles(calendar, world, api_for, username):
    api = api_for(getattr(world.users, username))
    kd = calendar.key_dates.get(code="intake_window")
    assert api.post("/api/v1/loan-years/", {"year": 2027}).status_code == 403
    assert (
        api.patch(f"/api/v1/key-dates/{kd.pk}/", {"end_date": "2026-09-25", "reason": "x理由"}).status_code
        == 403
    )
    response = api.post(
        f"/api/v1/key-dates/{kd.pk}/extend/",
        {"organisation": world.county1.pk, "end_date": "2026-09-25", "reason": "理由"},
    )
    assert response.status_code == 403
    assert KeyDate.objects.get(pk=kd.pk).end_date == d("2026-09-20")
    assert not KeyDateExtension.objects.filter(organisation=world.county1).exists()


def test_api_province_manager_writes(calendar, world, api_for):
    api = api_for(world.users.province_manager)
    created = api.post("/api/v1/loan-years/", {"year": 2027}, format="json")
    assert created.status_code == 201 and len(created.json()["key_dates"]) == 9
    kd = calendar.key_dates.get(code="intake_window")
    moved = api.patch(
        f"/api/v1/key-dates/{kd.pk}/", {"end_date": "2026-09-22", "reason": "统一顺延"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["end_date"] == "2026-09-22"
    no_reason = api.patch(f"/api/v1/key-dates/{kd.pk}/", {"end_date": "2026-09-23"}, format="json")
    assert no_reason.status_code == 400
    extended = api.post(
        f"/api/v1/key-dates/{kd.pk}/extend/",
        {"organisation": world.county3.pk, "end_date": "2026-09-28", "reason": "人手不足"},
        format="json",
    )
    assert extended.status_code == 201 and extended.json()["end_date"] == "2026-09-28"
    wrong = api.post(
        f"/api/v1/key-dates/{kd.pk}/extend/",
        {"organisation": world.county3.pk, "end_date": "2026-09-01", "reason": "人手不足"},
        format="json",
    )
    assert wrong.status_code == 400 and "end_date" in wrong.json()["errors"]


def test_api_in_openapi_schema(world, api_for):
    schema = api_for(world.users.province_manager).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/loan-years/" in paths and "/api/v1/key-dates/" in paths
    assert "/api/v1/key-dates/{id}/extend/" in paths
    assert "/api/v1/key-date-extensions/" in paths


def test_demo_seeder_creates_the_calendar_and_one_extension(db):
    """seed_demo: the current loan year placed so that today is in its intake window (issue 8: the demo
    finishes its own journey on any day) and the next one with defaults; county 2's intake window
    extended by ten days."""
    import io

    from django.utils import timezone

    from deadlines.hooks import seed_calendar
    from deadlines.services import current_loan_year, is_open
    from loanportal.demo import seed_core
    from loanportal.registry import seeders

    assert seed_calendar in seeders()
    context = seed_core(password="demo-pass-2026", stdout=io.StringIO())
    seed_calendar(context)
    seed_calendar(context)
    year = current_loan_year(timezone.localdate())
    assert set(KeyDate.objects.values_list("loan_year__year", flat=True)) == {year, year + 1}
    extension = KeyDateExtension.objects.get()
    intake = KeyDate.objects.get(loan_year__year=year, code="intake_window")
    assert extension.end_date == intake.end_date + datetime.timedelta(days=10)
    assert extension.organisation.code == "620122"
    assert is_open("intake_window", extension.organisation, on=timezone.localdate())
