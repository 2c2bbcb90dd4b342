"""Issue 7 item 6: a request body that is not a JSON object (a list, string, number or null) is a 400
with a Chinese message on every write of the API — found by walking the router, not by listing actions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.parsers import JSONParser
from rest_framework.test import APIClient

import loanportal.urls  # noqa: F401 - importing the URLconf registers every app's viewsets
from applications.services import queue as intake_services
from loanportal.api import router

from .factories_intake import make_site, person

pytestmark = pytest.mark.django_db

NOT_OBJECTS = ["[null, null]", '"x"', "12", "null", "true", "[]"]
WRITE_METHODS = {"post", "put", "patch"}


def write_routes():
    """(label, viewset, action, method, url name, detail?, lookup kwarg, parsers) for every write."""
    found = []
    for prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            for method, action_name in route.mapping.items():
                if method not in WRITE_METHODS or not hasattr(viewset, action_name):
                    continue
                handler = getattr(viewset, action_name)
                parsers = getattr(handler, "kwargs", {}).get("parser_classes") or viewset.parser_classes
                detail = "{lookup}" in route.url
                lookup = viewset.lookup_url_kwarg or viewset.lookup_field
                name = route.name.format(basename=basename)
                label = f"{method.upper()} {prefix} {action_name}"
                found.append((label, viewset, action_name, method, name, detail, lookup, parsers))
    return found


ROUTES = write_routes()


def test_issue7_6_router_walk_finds_the_writes():
    labels = {label for label, *_ in ROUTES}
    assert "POST appointments cancel" in labels and "POST appointments no_show" in labels
    assert "POST applications create" in labels and "PATCH students partial_update" in labels
    assert len(ROUTES) >= 25


def _user_allowed(world, viewset, action_name):
    """One user whose role may use the action (per the viewset's allowed_roles)."""
    roles = getattr(viewset, "allowed_roles", None)
    if isinstance(roles, dict):
        roles = roles.get(action_name, roles.get("default"))
    for user in vars(world.users).values():
        if roles is None or user.role in roles:
            return user
    raise AssertionError(f"no user may use {viewset.__name__}.{action_name}")


def test_issue7_6_non_object_bodies_are_400_on_every_write(world):
    """Every write the router serves (pk 999999 for detail routes: the body is checked first)."""
    failures = []
    for label, viewset, action_name, method, name, detail, lookup, parsers in ROUTES:
        url = reverse(name, kwargs={lookup: 999_999} if detail else {})
        takes_json = any(issubclass(p, JSONParser) for p in parsers)
        api = APIClient()
        api.force_authenticate(_user_allowed(world, viewset, action_name))
        for body in NOT_OBJECTS:
            response = getattr(api, method)(url, data=body, content_type="application/json")
            # a multipart-only action refuses a JSON body outright (415)
            expected = 400 if takes_json else 415
            if response.status_code != expected or (
                takes_json and "JSON 对象" not in response.json().get("detail", "")
            ):
                failures.append((label, body, response.status_code))
    assert not failures


@pytest.fixture
def appointment(world, monkeypatch):
    moment = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(intake_services.clock, "now", lambda: moment)
    site = make_site(world.county1)
    today = moment.date()
    intake_services.slots_generate(actor=None, site=site, start=today, end=today + datetime.timedelta(days=1))
    return intake_services.appointment_book(actor=None, slot=site.slots.first(), **person(world.county1, 1))


def test_issue7_6_appointment_actions_with_non_object_body_are_400(world, appointment):
    """The reported 500s: cancel / no-show with [null, null] or "x" (and the other actions)."""
    api = APIClient()
    api.force_authenticate(world.users.county1_staff)
    for path in ["cancel", "no-show", "check-in", "serve"]:
        for body in ["[null, null]", '"x"', "12345", "null"]:
            url = f"/api/v1/appointments/{appointment.pk}/{path}/"
            response = api.post(url, data=body, content_type="application/json")
            assert response.status_code == 400, (path, body, response.status_code)
            assert "JSON 对象" in response.json()["detail"]
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_issue7_6_reason_goes_through_the_serializer_as_text(world, appointment):
    """A list or a number as the reason is a 400 naming the field (issue 9 check 6: the schema says a
    string, so a number is invalid data, no longer read as text); the text the service gets is the text
    the audit row keeps (the service and the audit hash see the same string)."""
    from loanportal.models import AuditEvent

    api = APIClient()
    api.force_authenticate(world.users.county1_staff)
    url = f"/api/v1/appointments/{appointment.pk}/cancel/"
    for reason in (["x"], 12345):
        response = api.post(url, {"reason": reason}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "reason"
    assert api.post(url, {"reason": "12345"}, format="json").status_code == 200
    event = AuditEvent.objects.filter(object_pk=str(appointment.pk)).order_by("-pk").first()
    assert event.reason == "12345"


def test_issue7_6_validation_errors_have_one_shape(world):
    api = APIClient()
    api.force_authenticate(world.users.county1_staff)
    response = api.post("/api/v1/students/", {"name": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict) and "name" in body["errors"]
    assert body["field"] in body["errors"]


def test_issue7_6_token_endpoint_refuses_non_object_bodies():
    for body in NOT_OBJECTS:
        response = APIClient().post(
            "/api/v1/auth/token/", data=body, content_type="application/json", REMOTE_ADDR="10.254.6.1"
        )
        assert response.status_code == 400, body
        assert isinstance(response.json()["detail"], str)


def test_issue7_6_schema_documents_the_error_answers(world, client_for):
    schema = client_for(world.users.county1_staff).get("/api/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["Error"]["properties"]) >= {"detail", "field", "errors"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if path == "/api/v1/auth/token/":
                assert {"400", "429"} <= codes
                continue
            assert {"401", "403", "404"} <= codes, (method, path, codes)
            if method in ("post", "put", "patch"):
                assert {"400", "409", "415"} <= codes, (method, path, codes)
            for code in {c for c in codes if not c.startswith("2")}:  # every non-2xx answer
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)


def test_issue7_6_unknown_api_address_is_a_json_404(world):
    api = APIClient()
    api.force_authenticate(world.users.county1_staff)
    response = api.get("/api/v1/loan-years/a.b/")
    assert response.status_code == 404 and response.json()["detail"]
