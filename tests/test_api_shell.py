"""The API shell: OpenAPI schema, Swagger UI served locally, error handler, pagination, filtering."""

import pytest

from loanportal.errors import ConflictError, DomainError


def test_schema_lists_core_endpoints(world, client_for):
    response = client_for(world.users.county1_staff).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/students/", "/api/v1/organisations/", "/api/v1/users/", "/api/v1/auth/token/"):
        assert path in paths


def test_swagger_ui_uses_local_assets(world, client_for):
    page = client_for(world.users.county1_staff).get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "https://" not in page.replace("https://github.com", "")


def test_every_resource_carries_id_and_pagination(world, api_for):
    body = api_for(world.users.province_manager).get("/api/v1/students/?page_size=2").json()
    assert {"count", "next", "previous", "results"} <= set(body)
    assert all("id" in row for row in body["results"])


def test_filtering_by_county(world, api_for):
    body = (
        api_for(world.users.province_manager)
        .get(f"/api/v1/students/?household_county={world.county3.pk}")
        .json()
    )
    assert {row["name"] for row in body["results"]} == {"丙一", "丙二"}


@pytest.mark.parametrize(
    "exc, status", [(DomainError("金额超过年度上限"), 400), (ConflictError("名额已满"), 409)]
)
def test_domain_errors_map_to_status_with_chinese_message(exc, status):
    from loanportal.api import exception_handler

    response = exception_handler(exc, {})
    assert response.status_code == status and response.data["detail"] == exc.message


def test_invalid_id_number_via_api_names_the_field(world, api_for):
    response = api_for(world.users.county1_staff).post(
        "/api/v1/students/",
        {"name": "测试", "id_number": "620123200501011230", "household_county": world.county1.pk},
        format="json",
    )
    assert response.status_code == 400
    assert (
        "id_number" in response.json()["errors"] and "身份证号" in response.json()["errors"]["id_number"][0]
    )
