"""Issue 9 check 6: what a deep schemathesis run (SCHEMATHESIS_EXAMPLES=15, every role; see
tests/test_api_schemathesis.py) found, each pinned by one deterministic request. Invalid data must be a
400 naming the field (in Chinese); data the schema calls valid must not be refused; the schema states the
rules the server applies."""

import pytest

from loanportal.exports.models import ExportRequest
from loanportal.models import ApiToken
from loanportal.tokens import api_token_issue

pytestmark = pytest.mark.django_db


def _query_parameter(schema: dict, path: str, name: str) -> dict:
    return next(p["schema"] for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/public-notices/?year=0.0", "year"),
        ("/api/v1/public-notices/?year=2026.0", "year"),
        ("/api/v1/students/?enrolment_year=2.6e-67", "enrolment_year"),
        ("/api/v1/relief-batches/?year=-1.4e%2B211", "year"),
        ("/api/v1/fee-certificates/?application=0.0", "application"),
        ("/api/v1/key-date-extensions/?key_date__loan_year__year=2026.5", "key_date__loan_year__year"),
        ("/api/v1/applications/?year=2026.0", "year"),
    ],
)
def test_issue9_check6_integer_filter_refuses_a_decimal(world, api_for, url, field):
    """Issue 9 check 6 found: integer filters (years, ids) answered "0.0" or "2.6e-67" — not integers in
    the schema — with rows (django-filter reads any decimal, Django's IntegerField drops a ".0")."""
    response = api_for(world.users.province_officer).get(url)
    assert response.status_code == 400, (url, response.status_code)
    body = response.json()
    assert body["field"] == field and "整数" in body["detail"], body


def test_issue9_check6_integer_filter_still_takes_an_integer(world, api_for):
    """The strict integer filters (issue 9 check 6) still read digits and an empty value ("not given")."""
    api = api_for(world.users.province_officer)
    for url in (
        "/api/v1/public-notices/?year=2026",
        "/api/v1/fee-certificates/?application=",
        "/api/v1/students/?enrolment_year=-1",
    ):
        assert api.get(url).status_code == 200, url


def test_issue9_check6_year_bounds_are_in_the_schema(world, client_for):
    """Issue 9 check 6 found: `?year=1200` (an integer, as the schema said) refused with 400 by
    /applications/, /archives/unarchived/ and /summaries/missing/: the schema now states the bounds."""
    schema = client_for(world.users.county1_staff).get("/api/schema/?format=json").json()
    bounds = {
        "/api/v1/applications/": (1900, 9999),
        "/api/v1/archives/unarchived/": (2000, 2100),
        "/api/v1/summaries/missing/": (2000, 2100),
    }
    for path, (low, high) in bounds.items():
        year = _query_parameter(schema, path, "year")
        assert (year.get("minimum"), year.get("maximum")) == (low, high), (path, year)


@pytest.mark.parametrize("path", ["/api/v1/archives/unarchived/", "/api/v1/summaries/missing/"])
def test_issue9_check6_loan_year_out_of_bounds_names_the_field(world, api_for, path):
    """Issue 9 check 6: both actions reading one loan year answer the same 400, naming `year` and the range
    (summaries/missing said only "年度格式不正确")."""
    response = api_for(world.users.county1_staff).get(f"{path}?year=1200")
    assert response.status_code == 400
    assert response.json()["field"] == "year" and "2000至2100" in response.json()["detail"]


def test_issue9_check6_loan_contract_amount_parameters(world, api_for, client_for):
    """Issue 9 check 6 found on /loan-contracts/: `category` was a free string in the schema (an unknown
    one a 400), a lone `received` a 400 that named no field, and received 9999-12-16 or later a 500 (its
    cutoff, 20 January 10000, is no date)."""
    api = api_for(world.users.bank_officer)
    schema = client_for(world.users.bank_officer).get("/api/schema/?format=json").json()
    assert _query_parameter(schema, "/api/v1/loan-contracts/", "category")["enum"] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "5a",
        "5b",
    ]
    lone = api.get("/api/v1/loan-contracts/?received=2026-04-20")
    assert lone.status_code == 400 and lone.json()["field"] == "category", lone.json()
    assert "category" in lone.json()["detail"]
    far = api.get("/api/v1/loan-contracts/?category=1&received=9999-12-31")
    assert far.status_code == 400 and far.json()["field"] == "received", far.content
    unknown = api.get("/api/v1/loan-contracts/?category=5A&received=2026-04-20")
    assert unknown.status_code == 400 and unknown.json()["field"] == "category"
    assert api.get("/api/v1/loan-contracts/?category=5a&received=2026-04-20").status_code == 200


def test_issue9_check6_text_filter_with_a_nul_character_is_an_empty_list(world, api_for):
    """Issue 9 check 6 found: a text filter holding a NUL character (a valid JSON string) refused with a
    400; no stored text holds one, so the answer is an empty list, never a database error."""
    api = api_for(world.users.province_officer)
    for url in ("/api/v1/students/?name=%00", "/api/v1/loan-contracts/?contract_no=a%00b"):
        response = api.get(url)
        assert response.status_code == 200 and response.json()["count"] == 0, (url, response.content)


def test_issue9_check6_export_kind_filter_and_params(world, api_for, client_for):
    """Issue 9 check 6 found on /exports/: `?kind=` was any string (an unknown kind an empty list, a NUL a
    400), and a filter value that is not a string (`{"params": {"county": 12.5}}`) was turned into text
    and the request created (201)."""
    manager = world.users.county1_manager
    api = api_for(manager)
    schema = client_for(manager).get("/api/schema/?format=json").json()
    assert "applications" in _query_parameter(schema, "/api/v1/exports/", "kind")["enum"]
    unknown = api.get("/api/v1/exports/?kind=no_such_kind")
    assert unknown.status_code == 400 and unknown.json()["field"] == "kind"
    assert api.get("/api/v1/exports/?kind=county_summary").status_code == 200
    before = ExportRequest.objects.count()
    response = api.post(
        "/api/v1/exports/", {"kind": "county_summary", "params": {"year": 2026.5}}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"].startswith("params"), response.content
    assert ExportRequest.objects.count() == before


def test_issue9_check6_a_body_is_json(world, api_for, client_for):
    """Issue 9 check 6 found: POST /summaries/generate/ with a malformed multipart body (`False` between
    boundaries) read as an empty form and generated the summary (200). Bodies are JSON objects
    (docs/api.md): any other content type is a 415; only the uploads take multipart."""
    api = api_for(world.users.county1_staff)
    boundary = "9cc651cd2c8d168349f50fede4c361ac"
    response = api.generic(
        "POST",
        "/api/v1/summaries/generate/",
        f"--{boundary}\r\nFalse--{boundary}--\r\n",
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 415, response.content
    assert "detail" in response.json()
    schema = client_for(world.users.county1_staff).get("/api/schema/?format=json").json()
    assert list(schema["paths"]["/api/v1/summaries/generate/"]["post"]["requestBody"]["content"]) == [
        "application/json"
    ]


def test_issue9_check6_text_body_fields_are_strings_within_their_length(world, api_for):
    """Issue 9 check 6 found: POST /auth/tokens/revoke-mine/ took a `reason` of 201 characters starting
    with a space (DRF measures max_length after trimming) and revoked the tokens (200); a number for a
    text field was turned into text. Both are now a 400 naming the field, nothing revoked."""
    user = world.users.bank_officer
    api_token_issue(user=user)
    api = api_for(user)
    for reason in (" " + "理" * 200, 12345):
        response = api.post("/api/v1/auth/tokens/revoke-mine/", {"reason": reason}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "reason", response.content
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=False).exists()
    ok = api.post("/api/v1/auth/tokens/revoke-mine/", {"reason": " " + "理" * 199}, format="json")
    assert ok.status_code == 200 and ok.json()["revoked"] == 1


def test_issue9_check6_fund_return_answer_matches_its_schema(world, api_for, client_for):
    """Issue 9 check 6 found: POST /relief-funds/returns/ answered 201 with `case_no: null` (a return
    names no case) where the schema said a string."""
    response = api_for(world.users.province_officer).post(
        "/api/v1/relief-funds/returns/",
        {"amount": "550.00", "document": "收据2", "borrower_name": "张三"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["case_no"] is None, response.content
    schema = client_for(world.users.province_officer).get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["FundEntry"]["properties"]["case_no"].get("nullable") is True


def test_issue9_check6_disbursement_preview_year_bounds_are_in_the_schema(world, client_for):
    """Issue 9 check 6 found: GET /disbursements/preview/?year=-172050 (an integer, as the schema said)
    refused with 400: the schema now states 2000–2100."""
    schema = client_for(world.users.province_officer).get("/api/schema/?format=json").json()
    year = _query_parameter(schema, "/api/v1/disbursements/preview/", "year")
    assert (year.get("minimum"), year.get("maximum")) == (2000, 2100)
