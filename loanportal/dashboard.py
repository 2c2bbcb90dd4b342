"""Dashboard cards and navigation of the core (registered in CoreConfig.ready), and the cards of a user's
dashboard (`cards_for`), shared for a few seconds by everyone of one role in one organisation."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from . import registry, selectors
from .registry import ALL_ROLES, NavItem, Panel, register_nav, register_panel
from .roles import MANAGER_ROLES, OrgKind

logger = logging.getLogger(__name__)


def cards_for(user) -> tuple[list[dict], object]:
    """The dashboard's cards for `user` and the time their figures were computed (the oldest shared card).

    A county's clerks all open the same dashboard many times an hour: a card that depends only on the role
    and the organisation (Panel.per_user False) is computed once and kept in the cache for
    DASHBOARD_CARD_SECONDS (0: never kept), keyed by database, role, organisation and today's date. The
    page says when the figures were computed. Without the cache (Redis down) every card is computed."""
    now = timezone.localtime()
    panels = registry.panels_for(user)
    seconds = settings.DASHBOARD_CARD_SECONDS
    shared = [p for p in panels if not p.per_user] if seconds > 0 and user.organisation_id else []
    keys = {
        p.key: f"dashboard:{connection.settings_dict['NAME']}:{p.key}:{user.role}:{user.organisation_id}:"
        f"{now.date().isoformat()}"
        for p in shared
    }
    found = _cache_call(lambda: cache.get_many(list(keys.values())), {})
    fresh, cards, as_of = {}, [], now
    for panel in panels:
        key = keys.get(panel.key)
        if key in found:
            computed_at, card = found[key]
            as_of = min(as_of, computed_at)
        else:
            card = panel.render(user)
            if key:
                fresh[key] = (now, card)
        if card:
            cards.append(card)
    if fresh:
        _cache_call(lambda: cache.set_many(fresh, timeout=seconds), None)
    return cards, as_of


def _cache_call(call, fallback):
    try:
        return call()
    except Exception:  # the cache is an optimisation: a page never fails because Redis does
        logger.warning("dashboard card cache unavailable", exc_info=True)
        return fallback


STUDENT_ROLES = ALL_ROLES - {"bank_officer"}


def _students_card(user):
    count = selectors.students_visible_to(user=user).count()
    org = user.organisation
    scope = {
        OrgKind.COUNTY: "本县生源地学生",
        OrgKind.CITY: "本市各县生源地学生",
        OrgKind.UNIVERSITY: "本校借款学生",
        OrgKind.PROVINCE: "全省借款学生",
    }.get(org.kind, "学生")
    return {"title": scope, "value": count, "unit": "人", "url": reverse("student-list")}


def _notifications_card(user):
    count = selectors.unread_notification_count(user=user)
    return {
        "title": "未读通知",
        "value": count,
        "unit": "条",
        "url": reverse("notification-list"),
        "level": "warning" if count else "",
    }


def _counties_card(user):
    counties = selectors.counties_visible_to(user=user)
    return {"title": "所辖县区", "value": counties.count(), "unit": "个", "url": reverse("student-list")}


def register():
    register_nav(NavItem("首页", "dashboard", ALL_ROLES, order=0))
    register_nav(NavItem("学生", "student-list", STUDENT_ROLES, order=10))
    register_nav(NavItem("审计日志", "audit-search", frozenset(MANAGER_ROLES), order=900))
    register_panel(Panel("core.students", STUDENT_ROLES, _students_card, order=10))
    register_panel(
        Panel(
            "core.counties",
            frozenset({"city_manager", "province_manager", "province_officer"}),
            _counties_card,
            order=11,
        )
    )
    register_panel(Panel("core.notifications", ALL_ROLES, _notifications_card, order=90, per_user=True))
