"""Navigation, dashboard cards, audit labels and demo seeder of intake (called from AppConfig.ready)."""

from django.urls import reverse
from django.utils import timezone

from loanportal.registry import (
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)
from loanportal.roles import COUNTY_ROLES, Role

COUNTY = frozenset(COUNTY_ROLES)
WATCHERS = frozenset({Role.CITY_MANAGER, Role.PROVINCE_MANAGER, Role.PROVINCE_OFFICER})

LABELS = {
    "intake_plan.save": "保存受理预案",
    "intake_site.save": "保存受理点",
    "intake_slots.generate": "生成预约时段",
    "appointment.book": "预约",
    "appointment.assign_list": "预申请名单批量预约",
    "appointment.walk_in": "现场取号",
    "appointment.checked_in": "签到",
    "appointment.called": "叫号",
    "appointment.served": "办结",
    "appointment.no_show": "标记未到",
    "appointment.cancelled": "取消预约",
    "queue_snapshot.level": "受理预警级别变化",
}


def _today_card(user):
    from ..models import Appointment
    from ..models import AppointmentStatus as S

    today = timezone.localdate()
    rows = Appointment.objects.filter(county_id=user.organisation_id, date=today)
    booked = rows.exclude(status=S.CANCELLED).count()
    checked_in = rows.filter(status__in=[S.CHECKED_IN, S.CALLED, S.SERVED]).count()
    served = rows.filter(status=S.SERVED).count()
    return {
        "title": "今日预约 / 签到 / 办结",
        "value": f"{booked} / {checked_in} / {served}",
        "unit": "人",
        "url": reverse("intake-queue"),
        "note": f"排队等候 {rows.filter(status=S.CHECKED_IN).count()} 人",
    }


LEVEL_TEXT = {"red": "红色预警", "amber": "黄色关注", "green": "正常"}


def _level_card(user):
    from ..models import QueueSnapshot

    snapshot = QueueSnapshot.objects.filter(county_id=user.organisation_id, date=timezone.localdate()).first()
    level = snapshot.level if snapshot else None
    return {
        "title": "受理预警",
        "value": LEVEL_TEXT.get(level, "未计算"),
        "unit": "",
        "url": reverse("intake-warning-county", args=[user.organisation_id]),
        "note": (
            snapshot.reasons[0]
            if snapshot and snapshot.reasons
            else "今日预约与排队情况正常"
            if snapshot
            else ""
        ),
        "level": {"red": "danger", "amber": "warning"}.get(level or "", ""),
    }


def _red_counties_card(user):
    from ..models import QueueLevel
    from ..selectors.intake import queue_snapshots_visible_to

    today = timezone.localdate()
    red = queue_snapshots_visible_to(user=user).filter(date=today, level=QueueLevel.RED)
    names = [s.county.name.replace("学生资助管理中心", "") for s in red]
    return {
        "title": "受理红色预警县区",
        "value": len(names),
        "unit": "个",
        "url": reverse("intake-warnings"),
        "note": "、".join(names) if names else "今日无红色预警",
        "level": "danger" if names else "",
    }


def _seed(context):
    from ..demo_intake import seed_intake

    seed_intake(context)


def _close_intake(*, loan_year, key_date, organisation, as_of, dry_run):
    """deadlines enforcement `applications.close_intake` (notice 八): see services.queue.intake_close."""
    from ..services.queue import intake_close, intake_window_end

    if organisation is None:
        return []
    year = getattr(loan_year, "year", loan_year)
    end = intake_window_end(organisation, year)
    if end is None:
        return []
    return intake_close(county=organisation, window_end=end, year=year, dry_run=dry_run)


def register():
    from deadlines.registry import register_enforcement
    from deadlines.rules import CLOSE_INTAKE

    register_enforcement(CLOSE_INTAKE, _close_intake)
    register_nav(NavItem("受理安排", "intake-plan", COUNTY, order=40))
    register_nav(NavItem("预约与叫号", "intake-queue", COUNTY, order=41))
    register_nav(NavItem("受理预警", "intake-warnings", COUNTY | WATCHERS, order=42))
    register_panel(Panel("intake.today", COUNTY, _today_card, order=20))
    register_panel(Panel("intake.level", COUNTY, _level_card, order=21))
    register_panel(Panel("intake.red_counties", WATCHERS, _red_counties_card, order=20))
    register_action_labels(LABELS)
    register_seeder(30, _seed)
