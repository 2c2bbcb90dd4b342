"""Walks the URL configuration: every view needs login, every API view an authenticated, non-AllowAny
permission and a queryset that comes from a selector (no class-level, unscoped queryset)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.test import APIClient

from loanportal.api import ScopedViewSetMixin

PUBLIC = {"login", "api-token"}  # the only views an anonymous visitor may reach
SKIP_PREFIXES = ("admin/",)  # Django admin has its own staff login


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete(path: str) -> str:
    path = re.sub(r"<(?:\w+:)?pk>", "1", path)
    path = re.sub(r"<[^>]+>", "1", path)
    path = re.sub(r"\(\?P<format>[^)]*\)", "", path)
    path = re.sub(r"\\\.", ".", path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\Z", "")


ROUTES = [
    (path, entry) for path, entry in walk(get_resolver().url_patterns) if not path.startswith(SKIP_PREFIXES)
]


def test_routes_found():
    assert len(ROUTES) > 10


@pytest.mark.parametrize("path, entry", ROUTES, ids=[p for p, _ in ROUTES])
def test_api_views_authenticated_and_scoped(path, entry):
    view = entry.callback
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if cls is None or not hasattr(cls, "permission_classes") or entry.name in PUBLIC:
        return
    if path.startswith("api/schema") or path.startswith("api/docs"):
        return
    permissions = cls.permission_classes
    assert permissions, f"{path}: no permission classes"
    assert AllowAny not in permissions, f"{path}: AllowAny"
    assert any(issubclass(p, IsAuthenticated) for p in permissions), f"{path}: not IsAuthenticated"
    if getattr(view, "actions", None):  # a viewset: its rows must come from a selector
        assert issubclass(cls, ScopedViewSetMixin), f"{path}: not a ScopedViewSetMixin"
        assert cls.queryset is None, f"{path}: class-level unscoped queryset"
        assert cls.selector is not ScopedViewSetMixin.selector, f"{path}: no selector"


@pytest.mark.django_db
@pytest.mark.parametrize("path, entry", ROUTES, ids=[p for p, _ in ROUTES])
def test_anonymous_is_refused_everywhere(client, path, entry):
    if entry.name in PUBLIC:
        return
    url = concrete(path)
    for response in (client.get(url), APIClient().post(url, {})):
        assert response.status_code in (301, 302, 401, 403, 404, 405), f"{url}: {response.status_code}"
        if response.status_code in (301, 302):
            assert "/accounts/login/" in response["Location"] or response["Location"].startswith(
                "/" + path.split("/")[0]
            ), url
