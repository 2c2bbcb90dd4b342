"""Registrations of the calendar app: navigation, dashboard panel, audit labels, demo seeder."""

import datetime

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from loanportal.registry import (
    ALL_ROLES,
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)


def obligations_card(user) -> dict | None:
    """Dashboard card: the organisation's next calendar deadline and its obligations, overdue in red."""
    from . import rules, selectors

    today = timezone.localdate()
    rows = selectors.obligations_for(user=user, on=today)
    url = reverse("calendar")
    if not rows:
        loan_year = selectors.loan_year_default(on=today)
        if loan_year is None:
            return None
        upcoming = loan_year.key_dates.filter(end_date__gte=today).order_by("end_date", "order").first()
        if upcoming is None:
            return None
        return {
            "title": "下一个时间节点",
            "value": (upcoming.end_date - today).days,
            "unit": "天后",
            "note": f"{upcoming.short_label} {rules.format_date(upcoming.end_date)}",
            "url": url,
        }
    overdue = [row for row in rows if row.mine.overdue]
    upcoming = [row for row in rows if row.mine.status != rules.Status.PASSED]
    first = upcoming[0] if upcoming else None
    card = {
        "title": "本单位下一项截止" if first else "逾期事项",
        "value": first.mine.days_left if first else len(overdue),
        "unit": "天后" if first else "项",
        "note": (
            f"{first.key_date.short_label} {rules.format_date(first.mine.deadline)}"
            + ("（已延期）" if first.mine.extension else "")
            if first
            else "请尽快办理"
        ),
        "url": url,
        "level": "danger"
        if overdue or (first and first.mine.days_left <= 1)
        else ("warning" if first and first.mine.days_left <= 7 else ""),
    }
    card["html"] = render_to_string(
        "deadlines/_dashboard.html", {"rows": rows, "today": today, "calendar_url": url}
    )
    return card


def seed_calendar(context: dict) -> None:
    """Demo: the current loan year with its calendar placed so that today lies in the intake window
    (`loan_year_ensure_holding`: `make run` demonstrates the whole cycle on any day) and the next year
    with the default calendar; county 2's intake window extended by ten days."""
    from .models import KeyDateExtension
    from .services import (
        calendar_schedule_ensure,
        key_date_extend,
        loan_year_ensure,
        loan_year_ensure_holding,
    )

    manager = context["users"].get("province_manager")
    loan_year = loan_year_ensure_holding(on=timezone.localdate(), actor=manager)
    loan_year_ensure(year=loan_year.year + 1, actor=manager)
    calendar_schedule_ensure()
    county2 = context["counties"][1]
    intake = loan_year.key_dates.get(code="intake_window")
    if not KeyDateExtension.objects.filter(key_date=intake, organisation=county2).exists():
        key_date_extend(
            actor=manager,
            key_date=intake,
            organisation=county2,
            end_date=intake.end_date + datetime.timedelta(days=10),
            reason="受理点装修，暂停受理期间顺延十天",
        )


def register():
    register_nav(NavItem("工作日历", "calendar", ALL_ROLES, order=80))
    register_panel(Panel("deadlines.obligations", ALL_ROLES, obligations_card, order=5))
    register_seeder(5, seed_calendar)
    register_action_labels(
        {
            "loan_year.ensure": "建立贷款年度工作日历",
            "key_date.update": "修改时间节点",
            "key_date.extend": "时间节点延期",
            "calendar.enforce": "到期处理",
        }
    )
