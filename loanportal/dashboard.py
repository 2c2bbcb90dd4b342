"""Dashboard cards and navigation of the core (registered in CoreConfig.ready)."""

from django.urls import reverse

from . import selectors
from .registry import ALL_ROLES, NavItem, Panel, register_nav, register_panel
from .roles import MANAGER_ROLES, OrgKind

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
    register_panel(Panel("core.notifications", ALL_ROLES, _notifications_card, order=90))
