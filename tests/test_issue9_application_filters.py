"""Issue 9: the applications list (贷款申请) filters by loan year, city (市), county (县区) and university
(高校) for the managers above a county, on the page, the API and the "导出" beside the filters — scoped,
and the exported rows are the listed rows."""

import re

import pytest
from django.urls import reverse

from applications.models import Application
from deadlines.services import current_loan_year
from loanportal.exports import services
from loanportal.exports.definitions import application_rows
from tests.factories import valid_id
from tests.factories_lifecycle import make_application
from tests.xlsx_inspect import Book

LINK = re.compile(r'href="/applications/(\d+)/"')


@pytest.fixture
def applications(world):
    """Two applications of county 1 (one at university 2), one of county 2 (both city 1), one of
    county 3 (city 2), and one of county 1 in the previous loan year."""
    c1 = make_application(world)
    c1_u2 = make_application(
        world,
        student={"name": "甲二", "id_number": valid_id(world.county1.code, "20070202")},
        co_borrower={"id_number": valid_id(world.county1.code, "19710101")},
        university=world.university2,
    )
    c2 = make_application(
        world,
        actor=world.users.county2_staff,
        student={"name": "乙新", "id_number": valid_id(world.county1.code, "20070303")},
        co_borrower={"id_number": valid_id(world.county1.code, "19720202")},
    )
    c3 = make_application(
        world,
        actor=world.users.county3_staff,
        student={"name": "丙新", "id_number": valid_id(world.county1.code, "20070404")},
        co_borrower={"id_number": valid_id(world.county1.code, "19730303")},
    )
    old = make_application(
        world,
        student={"name": "甲旧", "id_number": valid_id(world.county1.code, "20060505")},
        co_borrower={"id_number": valid_id(world.county1.code, "19740404")},
    )
    year = current_loan_year()
    Application.objects.filter(pk__in=[c1.pk, c1_u2.pk, c2.pk, c3.pk]).update(year=year)
    Application.objects.filter(pk=old.pk).update(year=year - 1)
    return {"c1": c1.pk, "c1_u2": c1_u2.pk, "c2": c2.pk, "c3": c3.pk, "old": old.pk, "year": year}


def _listed(client, params) -> set[int]:
    response = client.get(reverse("application-list"), params)
    assert response.status_code == 200
    return {int(pk) for pk in LINK.findall(response.content.decode())}


def _api(api, params) -> set[int]:
    response = api.get("/api/v1/applications/", {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _exported(user, params) -> set[int]:
    export = services.export_request_create(
        actor=user, kind="applications", params=params, purpose="核对本市受理数据"
    )
    rows = {row[0] for row in application_rows(user=user, params=export.params)}
    assert export.total_rows == len(rows)
    return rows


def test_city_manager_filters_by_county_list_api_and_export_agree(world, applications, client_for, api_for):
    """A city manager lists, fetches and exports one of its counties: the same rows everywhere."""
    manager = world.users.city1_manager
    client, api = client_for(manager), api_for(manager)
    params = {"county": world.county2.pk, "year": applications["year"]}
    listed = _listed(client, params)
    assert listed == {applications["c2"]}
    assert _api(api, params) == listed
    assert _exported(manager, params) == listed
    # the default year (current, from the calendar): county 1 without last year's application
    assert _listed(client, {"county": world.county1.pk}) == {applications["c1"], applications["c1_u2"]}
    assert _listed(client, {"county": world.county1.pk, "year": "all"}) == {
        applications["c1"],
        applications["c1_u2"],
        applications["old"],
    }


def test_city_manager_sees_only_their_counties_as_options(world, applications, client_for):
    page = client_for(world.users.city1_manager).get(reverse("application-list")).content.decode()
    assert 'name="county"' in page and "皋兰县" in page and "榆中县" in page
    assert "秦安县" not in page  # another city's county is never offered
    assert 'name="city"' not in page and 'name="university"' not in page
    county_page = client_for(world.users.county1_staff).get(reverse("application-list")).content.decode()
    assert 'name="year"' in county_page and 'name="county"' not in county_page


def test_export_describes_and_freezes_the_filters(world, applications):
    """The file's filter description names the county and the year; the year is frozen at request time."""
    manager = world.users.city1_manager
    export = services.export_request_create(
        actor=manager,
        kind="applications",
        params={"county": str(world.county2.pk)},
        purpose="核对本市受理数据",
    )
    assert export.params == {"county": str(world.county2.pk), "year": str(applications["year"])}
    assert f"贷款年度：{applications['year']}" in export.filter_summary
    assert "县区：皋兰县" in export.filter_summary
    assert export.total_rows == 1


def test_city_manager_export_file_holds_the_listed_rows(
    world, applications, client_for, eager, django_capture_on_commit_callbacks
):
    manager = world.users.city1_manager
    listed = _listed(client_for(manager), {"county": world.county1.pk})
    export = services.export_request_create(
        actor=manager, kind="applications", params={"county": str(world.county1.pk)}, purpose="核对受理数据"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(actor=world.users.province_manager, export=export)
    export.refresh_from_db()
    response = client_for(manager).get(reverse("export-download", args=[export.pk]))
    book = Book(b"".join(response.streaming_content))
    cells = book.sheets["生源地助学贷款申请汇总表"].cells
    assert {int(cells[f"A{row}"][1]) for row in range(2, 2 + export.row_count)} == listed


def test_province_filters_by_city_county_year_and_university(world, applications, client_for, api_for):
    officer = world.users.province_officer
    client, api = client_for(officer), api_for(officer)
    year = applications["year"]
    cases = [
        ({"city": world.city1.pk, "year": year}, {"c1", "c1_u2", "c2"}),
        ({"city": world.city2.pk, "year": year}, {"c3"}),
        ({"city": world.city1.pk, "county": world.county1.pk, "year": year}, {"c1", "c1_u2"}),
        ({"university": world.university2.pk, "year": year}, {"c1_u2"}),
        ({"year": year - 1}, {"old"}),
    ]
    for params, expected in cases:
        want = {applications[key] for key in expected}
        assert _listed(client, params) == want, params
        assert _api(api, params) == want, params
        assert _exported(officer, params) == want, params
    page = client.get(reverse("application-list"), {"city": world.city2.pk}).content.decode()
    assert "秦安县" in page and "榆中县" not in page  # the counties of the chosen city only


def test_out_of_scope_county_gives_no_foreign_rows(world, applications, client_for, api_for):
    """Another city's county: no row of it on the page, the API or the export."""
    manager = world.users.city1_manager
    foreign = {"county": world.county3.pk, "year": applications["year"]}
    assert applications["c3"] not in _listed(client_for(manager), foreign)
    assert _api(api_for(manager), foreign) == set()
    assert applications["c3"] not in _exported(manager, foreign)
    # the province's county of another city than the chosen one: not that county's rows either
    mixed = {"city": world.city1.pk, "county": world.county3.pk, "year": applications["year"]}
    assert applications["c3"] not in _listed(client_for(world.users.province_officer), mixed)


@pytest.mark.parametrize(
    "params",
    [
        {"county": "abc"},
        {"county": "99999999999999999999999"},
        {"city": "-1", "county": "1e9"},
        {"year": "99999999999999"},
        {"year": "二〇二六"},
        {"university": "%00"},
        {"status": "<script>", "year": "all", "county": " "},
    ],
)
def test_hostile_params_never_500(world, applications, client_for, api_for, params):
    for user in (world.users.city1_manager, world.users.province_officer):
        page = client_for(user).get(reverse("application-list"), params)
        assert page.status_code == 200
        assert applications["c3"] not in _listed(client_for(world.users.city1_manager), params)
        assert api_for(user).get("/api/v1/applications/", params).status_code in (200, 400)
        services.export_request_create(actor=user, kind="applications", params=params, purpose="核对受理数据")


def test_api_schema_documents_the_filters(world, api_for):
    schema = api_for(world.users.province_officer).get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/applications/"]["get"]["parameters"]}
    for name in ("year", "city", "county", "university"):
        assert name in parameters and parameters[name]["schema"]["type"] == "integer", name
    assert "市" in parameters["city"]["description"]
