"""API of the pre-application list (notice 三(六)): /api/v1/pre-applications/ and its import."""

import pytest
from django.utils import timezone

from applications.models import PreApplication, PreApplicationImport
from applications.services.preapplications import pre_application_add

from .factories_preapplications import good_row, student_id, upload, workbook_bytes

YEAR = timezone.localdate().year
URL = "/api/v1/pre-applications/"


@pytest.fixture
def listed(world):
    def make(user, **fields):
        values = {
            "name": "周一",
            "id_number": student_id(user.organisation.code),
            "basis": "registered_poor",
            "high_school": "一中",
            "phone": "13712345678",
        }
        values.update(fields)
        return pre_application_add(actor=user, county=user.organisation, year=YEAR, **values)

    return {
        "a": make(world.users.county1_staff),
        "b": make(world.users.county1_staff, name="吴二", basis="national_grant", high_school="二中"),
        "x": make(world.users.county3_staff, name="王外"),
    }


def test_list_is_scoped_masked_and_filterable(world, listed, api_for):
    api = api_for(world.users.county1_staff)
    body = api.get(URL).json()
    results = body["results"] if isinstance(body, dict) else body
    assert {r["name"] for r in results} == {"周一", "吴二"}
    one = next(r for r in results if r["name"] == "周一")
    assert one["id_number"] == listed["a"].id_number[:3] + "*" * 11 + listed["a"].id_number[-4:]
    assert one["phone"] == "137****5678" and one["basis_display"] == "建档立卡贫困户"
    for query, expected in [
        ("basis=national_grant", {"吴二"}),
        ("high_school=一中", {"周一"}),
        ("status=listed", {"周一", "吴二"}),
        (f"year={YEAR - 1}", set()),
    ]:
        body = api.get(f"{URL}?{query}").json()
        results = body["results"] if isinstance(body, dict) else body
        assert {r["name"] for r in results} == expected, query


def test_retrieve_other_county_is_404_university_403(world, listed, api_for):
    assert api_for(world.users.county3_staff).get(f"{URL}{listed['a'].pk}/").status_code == 404
    assert api_for(world.users.county1_staff).get(f"{URL}{listed['a'].pk}/").status_code == 200
    assert api_for(world.users.city1_manager).get(f"{URL}{listed['a'].pk}/").status_code == 200
    for user in (world.users.university1_officer, world.users.bank_officer):
        assert api_for(user).get(URL).status_code == 403
        assert api_for(user).get(f"{URL}{listed['a'].pk}/").status_code == 403


def test_create_is_a_manual_add_for_county_roles(world, api_for):
    """notice 三(六) ¶2 through the API: source manual, county = the user's."""
    id_number = student_id()
    data = {
        "name": "陈九",
        "id_number": id_number,
        "basis": "orphan_disabled",
        "high_school": "一中",
        "year": YEAR,
    }
    response = api_for(world.users.county1_staff).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    created = PreApplication.objects.get(id_number=id_number)
    assert created.source == "manual" and created.county == world.county1
    assert response.json()["id_number"] != id_number  # masked in the answer too
    again = api_for(world.users.county1_staff).post(URL, data, format="json")
    assert again.status_code == 409 and "本县" in again.json()["detail"]
    bad = api_for(world.users.county1_staff).post(
        URL, {**data, "id_number": "620123200803151230"}, format="json"
    )
    assert bad.status_code == 400
    refused = api_for(world.users.city1_manager).post(URL, {**data, "id_number": student_id()}, format="json")
    assert refused.status_code == 403
    assert PreApplication.objects.count() == 1


def test_import_endpoint_success(world, api_for):
    response = api_for(world.users.county1_staff).post(
        f"{URL}import/",
        {"year": YEAR, "file": upload(workbook_bytes([good_row(), good_row()]))},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["row_count"] == 2 and response.json()["succeeded"] is True
    assert PreApplication.objects.count() == 2


def test_import_endpoint_reports_rows_as_json_on_failure(world, api_for):
    """notice 三(六) all-or-nothing through the API: 400 with row/column/message, nothing saved."""
    rows = [good_row(), good_row(预申请依据="其他")]
    response = api_for(world.users.county1_staff).post(
        f"{URL}import/", {"year": YEAR, "file": upload(workbook_bytes(rows))}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "C"
    assert "六类" in body["errors"][0]["message"]
    assert PreApplication.objects.count() == 0


def test_import_endpoint_bad_file_and_roles(world, api_for):
    bad = api_for(world.users.county1_staff).post(
        f"{URL}import/", {"year": YEAR, "file": upload(b"%PDF-1.4")}, format="multipart"
    )
    assert bad.status_code == 400 and "不是Excel" in bad.json()["detail"]
    for user in (world.users.city1_manager, world.users.university1_officer):
        response = api_for(user).post(
            f"{URL}import/", {"year": YEAR, "file": upload(workbook_bytes([good_row()]))}, format="multipart"
        )
        assert response.status_code == 403
    assert PreApplicationImport.objects.count() == 0


def test_endpoints_are_in_the_openapi_schema(world, api_for):
    schema = api_for(world.users.county1_staff).get("/api/schema/?format=json").json()
    assert "/api/v1/pre-applications/" in schema["paths"]
    assert "/api/v1/pre-applications/import/" in schema["paths"]
    assert (
        "multipart/form-data"
        in schema["paths"]["/api/v1/pre-applications/import/"]["post"]["requestBody"]["content"]
    )
