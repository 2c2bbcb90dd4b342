"""Accounts and sessions: lockout (django-axes), timeouts, login page in Chinese, token endpoint."""

import time

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from loanportal.models import AuditEvent

from .factories import TEST_PASSWORD


def test_login_page_in_chinese(client):
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page and "用户名" in page and "密码" in page


def test_login_and_dashboard(world, client):
    response = client.post("/accounts/login/", {"username": "county1_staff", "password": TEST_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "榆中县学生资助管理中心" in page and "工作台" in page


def test_lockout_after_configured_failures_is_logged(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": "county1_staff", "password": "wrong-password"})
    locked = client.post("/accounts/login/", {"username": "county1_staff", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "账号已锁定" in locked.content.decode()
    assert AuditEvent.objects.filter(action="account.locked_out", object_repr="county1_staff").exists()
    # another account from the same office address is not affected
    ok = client.post("/accounts/login/", {"username": "county1_manager", "password": TEST_PASSWORD})
    assert ok.status_code == 302


def test_default_lockout_limit_is_five():
    assert settings.AXES_FAILURE_LIMIT == 5


def test_idle_timeout_logs_out(world, client):
    client.post("/accounts/login/", {"username": "county1_staff", "password": TEST_PASSWORD})
    assert client.get("/").status_code == 200
    session = client.session
    session["last_activity_at"] = time.time() - 31 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/").status_code == 302  # still logged out


def test_idle_clock_advances_at_most_once_a_resolution_step(world, client, settings):
    """The session row is saved when the idle clock moves (at most once a minute), not on every request:
    an older activity stamp is renewed, a recent one is left as it is (no write)."""
    client.post("/accounts/login/", {"username": "county1_staff", "password": TEST_PASSWORD})
    session = client.session
    old = time.time() - 10 * 60
    session["last_activity_at"] = old
    session.save()
    assert client.get("/").status_code == 200
    renewed = client.session["last_activity_at"]
    assert renewed > old + 9 * 60
    recent = time.time() - settings.SESSION_ACTIVITY_RESOLUTION / 2
    session = client.session
    session["last_activity_at"] = recent
    session.save()
    assert client.get("/").status_code == 200
    assert client.session["last_activity_at"] == recent


def test_activity_within_idle_window_keeps_session(world, client):
    client.post("/accounts/login/", {"username": "county1_staff", "password": TEST_PASSWORD})
    session = client.session
    session["last_activity_at"] = time.time() - 29 * 60
    session.save()
    assert client.get("/").status_code == 200


def test_absolute_timeout_after_12_hours(world, client):
    client.post("/accounts/login/", {"username": "county1_staff", "password": TEST_PASSWORD})
    session = client.session
    session["auth_started_at"] = time.time() - 12 * 3600 - 60
    session.save()
    assert client.get("/").status_code == 302


def test_passwords_hashed_with_argon2_in_settings():
    # the test run swaps in a fast hasher (conftest); the configured one is Argon2
    from loanportal.settings import PASSWORD_HASHERS

    assert PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_token_endpoint(world):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "county1_staff", "password": TEST_PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/students/").status_code == 200
    bad = APIClient().post("/api/v1/auth/token/", {"username": "county1_staff", "password": "nope"})
    assert bad.status_code == 400 and "密码" in bad.json()["detail"]


@pytest.mark.parametrize("path", ["/", "/students/", "/audit/", "/notifications/"])
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
