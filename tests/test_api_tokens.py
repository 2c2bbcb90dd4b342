"""Issue 7 item 7: the token throttle counts in the shared cache (Redis) keyed on the real client address,
password failures are limited per address as well as per username, and API tokens expire, can be revoked
(by their user and by an administrator) and stop at once after a password change or a lockout."""

import datetime
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from loanportal.api import TokenThrottle, TokenView
from loanportal.models import ApiToken, AuditEvent

from .factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
RATE = 20  # REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"] = 20/min
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

needs_redis = pytest.mark.skipif(
    "redis" not in settings.CACHES["default"]["BACKEND"].lower(),
    reason="needs Redis configured (CELERY_BROKER_URL / REDIS_URL), as in CI",
)


def fresh_address() -> str:
    """An address no earlier run has used (the throttle counts live in Redis for a minute)."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


def obtain(username="county1_staff", password=TEST_PASSWORD, address=None, **extra):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address or fresh_address(),
        **extra,
    )


def token_client(key) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


# --- throttling -------------------------------------------------------------------------------------------


@needs_redis
def test_issue7_7_throttle_shared_across_two_cache_clients():
    """Two separate Redis clients (as two gunicorn workers have) share one count."""
    request = RequestFactory().post(TOKEN_URL, REMOTE_ADDR=fresh_address())
    workers = []
    for _ in range(2):
        throttle = TokenThrottle()
        throttle.cache = caches.create_connection("default")  # a new client and connection pool
        workers.append(throttle)
    assert workers[0].cache is not workers[1].cache
    allowed = [workers[i % 2].allow_request(request, TokenView()) for i in range(RATE + 4)]
    assert allowed == [True] * RATE + [False] * 4


@needs_redis
def test_issue7_7_throttle_shared_across_processes(world):
    """Another process spends 15 of the address's 20 requests; this one gets only the last 5."""
    address = fresh_address()
    script = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from loanportal.api import TokenThrottle, TokenView\n"
        f"request = RequestFactory().post('/api/v1/auth/token/', REMOTE_ADDR='{address}')\n"
        "print(sum(TokenThrottle().allow_request(request, TokenView()) for _ in range(15)))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "loanportal.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "15"
    statuses = [obtain(address=address).status_code for _ in range(RATE - 15 + 2)]
    assert statuses == [200] * (RATE - 15) + [429, 429]


def test_issue7_7_x_forwarded_for_spoofing_does_not_bypass_the_throttle(world):
    """With no trusted proxy (NUM_PROXIES=0, the default) a new X-Forwarded-For on every request is
    ignored: the count is per connecting address."""
    assert settings.NUM_PROXIES == 0
    address = fresh_address()
    statuses = [
        obtain(address=address, password="wrong", HTTP_X_FORWARDED_FOR=fresh_address()).status_code
        for _ in range(RATE + 1)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:RATE]


def test_issue7_7_behind_one_proxy_only_the_address_it_saw_counts(world, settings):
    """NUM_PROXIES=1: the proxy appends the client's address; whatever the client wrote before it is
    not trusted, so rotating it does not give new counts."""
    settings.NUM_PROXIES = 1
    proxy, client_address = fresh_address(), fresh_address()
    statuses = [
        obtain(
            address=proxy,
            password="wrong",
            HTTP_X_FORWARDED_FOR=f"{fresh_address()}, {client_address}",
        ).status_code
        for _ in range(RATE + 1)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:RATE]
    # Another client behind the same proxy is counted separately.
    other = obtain("county2_staff", address=proxy, HTTP_X_FORWARDED_FOR=fresh_address())
    assert other.status_code == 200


# --- lockout per username and per address -----------------------------------------------------------------


def login(client, username, password, address):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and not response["Location"].startswith("/accounts/login/")


def test_issue7_7_one_address_cannot_spray_every_account(world, client):
    """After AXES_IP_FAILURE_LIMIT failures over many usernames the address may try no more passwords,
    even a right one; the accounts themselves are not locked (another address still logs in)."""
    spray = fresh_address()
    limit = settings.AXES_IP_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        login(client, f"user{n}", "Spring2026!", spray)
    assert not logged_in(login(client, "county1_staff", TEST_PASSWORD, spray))
    # Failures while the address is locked are not counted against the accounts it tries.
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, "county2_staff", "guess", spray)
    assert logged_in(login(client, "county2_staff", TEST_PASSWORD, fresh_address()))


def test_issue7_7_per_username_lockout_is_kept(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "county1_staff", "wrong", fresh_address())
    assert not logged_in(login(client, "county1_staff", TEST_PASSWORD, fresh_address()))


def test_issue7_7_shared_office_address_survives_a_few_typos(world, client):
    """Colleagues behind one NAT address: one clerk's typos do not lock the others out."""
    office = fresh_address()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "county1_staff", "typo", office)
    assert logged_in(login(client, "county1_manager", TEST_PASSWORD, office))


# --- tokens -----------------------------------------------------------------------------------------------


def test_issue7_7_token_expires_after_12_hours_by_default(world):
    response = obtain()
    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert settings.API_TOKEN_TTL_SECONDS == 12 * 3600
    lifetime = token.expires_at - token.created_at
    assert abs(lifetime - datetime.timedelta(hours=12)) < datetime.timedelta(seconds=5)
    assert token.digest != body["token"] and body["token"] not in token.prefix + token.digest
    assert token_client(body["token"]).get("/api/v1/students/").status_code == 200


def test_issue7_7_expired_token_is_401(world):
    key = obtain().json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = token_client(key).get("/api/v1/students/")
    assert response.status_code == 401 and "过期" in response.json()["detail"]


def test_issue7_7_each_obtain_issues_a_new_token(world):
    first, second = obtain().json()["token"], obtain().json()["token"]
    assert first != second
    assert token_client(first).get("/api/v1/students/").status_code == 200


def test_issue7_7_user_revokes_own_token_then_401(world):
    body = obtain().json()
    api = token_client(body["token"])
    listed = api.get("/api/v1/auth/tokens/").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]] and "token" not in listed[0]
    assert api.post(f"/api/v1/auth/tokens/{body['id']}/revoke/", {}, format="json").status_code == 200
    assert api.get("/api/v1/students/").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", object_pk=str(body["id"])).exists()


def test_issue7_7_user_revokes_all_own_tokens(world):
    keys = [obtain().json()["token"] for _ in range(3)]
    response = token_client(keys[0]).post("/api/v1/auth/tokens/revoke-mine/", {}, format="json")
    assert response.status_code == 200 and response.json()["revoked"] == 3
    assert all(token_client(k).get("/api/v1/students/").status_code == 401 for k in keys)


def test_issue7_7_user_cannot_see_or_revoke_anothers_token(world):
    victim = obtain("county2_staff").json()
    attacker = token_client(obtain("county1_staff").json()["token"])
    assert victim["id"] not in [row["id"] for row in attacker.get("/api/v1/auth/tokens/").json()["results"]]
    assert attacker.post(f"/api/v1/auth/tokens/{victim['id']}/revoke/", {}, format="json").status_code == 404
    assert token_client(victim["token"]).get("/api/v1/students/").status_code == 200


def test_issue7_7_administrator_revokes_any_token_by_api(world):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    victim = obtain("county2_staff").json()
    api = APIClient()
    api.force_authenticate(admin)
    assert victim["id"] in [row["id"] for row in api.get("/api/v1/auth/tokens/").json()["results"]]
    response = api.post(f"/api/v1/auth/tokens/{victim['id']}/revoke/", {"reason": "设备丢失"}, format="json")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert token_client(victim["token"]).get("/api/v1/students/").status_code == 401


def test_issue7_7_administrator_revokes_tokens_in_admin(world, client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    victim = obtain("county2_staff").json()
    client.force_login(admin)
    page = client.get("/admin/loanportal/apitoken/")
    assert page.status_code == 200 and victim["token"] not in page.content.decode()
    response = client.post(
        "/admin/loanportal/apitoken/",
        {"action": "revoke", "_selected_action": [victim["id"]]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=victim["id"]).revoked_at is not None
    assert token_client(victim["token"]).get("/api/v1/students/").status_code == 401


def test_issue7_7_password_change_stops_old_tokens(world):
    key = obtain().json()["token"]
    user = world.users.county1_staff
    user.set_password("another-pass-2026")
    user.save()
    response = token_client(key).get("/api/v1/students/")
    assert response.status_code == 401
    fresh = obtain(password="another-pass-2026").json()["token"]
    assert token_client(fresh).get("/api/v1/students/").status_code == 200


def test_issue7_7_locked_out_account_token_is_401(world, client):
    key = obtain().json()["token"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "county1_staff", "wrong", fresh_address())
    response = token_client(key).get("/api/v1/students/")
    assert response.status_code == 401 and "锁定" in response.json()["detail"]


def test_issue7_7_deactivated_user_token_is_401(world):
    key = obtain().json()["token"]
    user = world.users.county1_staff
    user.is_active = False
    user.save()
    assert token_client(key).get("/api/v1/students/").status_code == 401


def test_issue7_7_garbage_token_is_401(world):
    assert token_client("not-a-token").get("/api/v1/students/").status_code == 401


# --- the shared cache -------------------------------------------------------------------------------------


def _settings_with(monkeypatch, **environ):
    import runpy

    for name in ("REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(os.path.join(ROOT, "loanportal", "settings", "__init__.py"))


def test_issue7_7_cache_is_redis_when_configured_else_local_memory(monkeypatch):
    derived = _settings_with(monkeypatch, CELERY_BROKER_URL="redis://127.0.0.1:6379/4")["CACHES"]["default"]
    assert derived["BACKEND"].endswith("RedisCache") and derived["LOCATION"] == "redis://127.0.0.1:6379/4"
    explicit = _settings_with(
        monkeypatch, CELERY_BROKER_URL="redis://127.0.0.1:6379/4", REDIS_URL="redis://cache:6379/2"
    )["CACHES"]["default"]
    assert explicit["LOCATION"] == "redis://cache:6379/2"
    local = _settings_with(monkeypatch)["CACHES"]["default"]
    assert local["BACKEND"].endswith("LocMemCache")


def test_issue7_7_throttle_survives_redis_down():
    """Redis unreachable: the token endpoint still answers (counting in process memory), never a 500."""
    from django.core.cache.backends.redis import RedisCache

    throttle = TokenThrottle()
    throttle.cache = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    request = RequestFactory().post(TOKEN_URL, REMOTE_ADDR=fresh_address())
    assert throttle.allow_request(request, TokenView()) is True
