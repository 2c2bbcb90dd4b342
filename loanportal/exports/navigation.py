"""Navigation of the export pages (registered in CoreConfig.ready)."""

from loanportal.registry import ALL_ROLES, NavItem, register_nav
from loanportal.roles import COUNTY_ROLES, MANAGER_ROLES, PROVINCE_ROLES, Role


def register():
    register_nav(NavItem("我的导出", "export-list", ALL_ROLES, order=880))
    register_nav(NavItem("待审批导出", "export-pending", frozenset(MANAGER_ROLES), order=885))
    register_nav(
        NavItem(
            "分县进度",
            "export-progress",
            frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.CITY_MANAGER}),
            order=870,
        )
    )
