"""Navigation of the export pages (registered in CoreConfig.ready)."""

from loanportal.registry import (
    ALL_ROLES,
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
)
from loanportal.roles import COUNTY_ROLES, MANAGER_ROLES, PROVINCE_ROLES, Role

ACTION_LABELS = {
    "export.requested": "申请导出",
    "export.approved": "批准导出",
    "export.refused": "不予批准导出",
    "export.running": "开始生成导出文件",
    "export.ready": "导出文件已生成",
    "export.failed": "导出文件生成失败",
    "export.downloaded": "下载导出文件",
    "export.expired": "导出文件失效",
}


def _pending_card(user):
    """待审批导出: the requests waiting for this manager's decision (never their own: per user)."""
    from django.urls import reverse

    from .selectors import exports_awaiting_decision

    count = exports_awaiting_decision(user=user).count()
    return {
        "title": "待审批导出",
        "value": count,
        "unit": "项",
        "url": reverse("export-pending"),
        "level": "warning" if count else "",
    }


def register():
    # One entry for the export pages: 我的导出 links to 待审批导出 for managers (the navigation bar must fit
    # a county manager's items on one line at 1366 px).
    register_nav(NavItem("导出", "export-list", ALL_ROLES, order=880))
    register_nav(
        NavItem(
            "分县进度",
            "export-progress",
            frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.CITY_MANAGER}),
            order=870,
        )
    )
    register_action_labels(ACTION_LABELS)
    # Per user: a manager's own requests are not theirs to decide, so two managers of one organisation
    # can see different counts.
    register_panel(Panel("exports.pending", frozenset(MANAGER_ROLES), _pending_card, order=85, per_user=True))
