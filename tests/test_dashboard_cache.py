"""The dashboard's shared cards (loanportal.dashboard.cards_for; issue 9, load at province scale).

Cards that depend only on the role and the organisation are computed once and shared for
DASHBOARD_CARD_SECONDS by everyone with both; cards of the user themself (notifications, own requests) are
computed on every page; another organisation never sees them; without a cache the page still works."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loanportal.models import Notification, Student
from tests.factories import UserFactory, valid_id

pytestmark = pytest.mark.django_db


def _card_value(html: str, title: str) -> int:
    found = re.search(rf"{title}</div>\s*<div><span class=\"stat-value\">(\d+)</span>", html)
    assert found, f"the card {title} is on the page"
    return int(found.group(1))


def _student_card(html: str) -> int:
    return _card_value(html, "本县生源地学生")


def _unread_card(html: str) -> int:
    return _card_value(html, "未读通知")


def _dashboard(client, user) -> tuple[str, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


@pytest.fixture
def shared_cards(settings):
    settings.DASHBOARD_CARD_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_cards_of_one_county_are_computed_once_and_shared(world, client, shared_cards):
    colleague = UserFactory(username="county1_staff_b", role="county_staff", organisation=world.county1)
    first, first_queries = _dashboard(client, world.users.county1_staff)
    assert _student_card(first) == 2
    Student.objects.create(
        name="新生", id_number=valid_id("620123", "20070101"), household_county=world.county1
    )

    second, second_queries = _dashboard(client, colleague)
    assert second_queries < first_queries - 5, (first_queries, second_queries)
    assert _student_card(second) == 2, "the shared figure, computed for the first clerk"
    assert "统计于" in second


def test_per_user_cards_are_always_fresh(world, client, shared_cards):
    colleague = UserFactory(username="county1_staff_b", role="county_staff", organisation=world.county1)
    _dashboard(client, world.users.county1_staff)
    Notification.objects.create(recipient=colleague, title="测试通知", body="", url="")
    html, _ = _dashboard(client, colleague)
    assert _unread_card(html) == 1
    html, _ = _dashboard(client, world.users.county1_staff)
    assert _unread_card(html) == 0


def test_another_county_never_sees_the_shared_cards(world, client, shared_cards):
    _dashboard(client, world.users.county1_staff)
    html, _ = _dashboard(client, world.users.county2_staff)
    assert _student_card(html) == 1, "皋兰县 has one student of its own"


def test_without_sharing_every_page_counts_again(world, client, settings):
    settings.DASHBOARD_CARD_SECONDS = 0
    html, _ = _dashboard(client, world.users.county1_staff)
    assert _student_card(html) == 2
    Student.objects.create(
        name="新生", id_number=valid_id("620123", "20070101"), household_county=world.county1
    )
    html, _ = _dashboard(client, world.users.county1_staff)
    assert _student_card(html) == 3


def test_an_unreachable_cache_only_costs_the_sharing(world, client, settings):
    """Redis down: the dashboard is computed as without sharing, never an error page."""
    settings.DASHBOARD_CARD_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    html, _ = _dashboard(client, world.users.county1_staff)
    assert _student_card(html) == 2


def test_card_figures_are_grouped_in_thousands(world, client):
    """A county of tens of thousands of students reads 1,002, not 1002 (the card's value, not its unit)."""
    from datetime import date, timedelta

    Student.objects.bulk_create(
        Student(
            name=f"学生{n}",
            id_number=valid_id("620123", (date(2006, 1, 1) + timedelta(days=n)).strftime("%Y%m%d")),
            household_county=world.county1,
        )
        for n in range(1000)
    )
    html, _ = _dashboard(client, world.users.county1_staff)
    assert re.search(r"本县生源地学生</div>\s*<div><span class=\"stat-value\">1,002</span>", html)
