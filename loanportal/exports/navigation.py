"""Navigation of the export pages (registered in CoreConfig.ready)."""

from loanportal.registry import ALL_ROLES, NavItem, register_nav
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role


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
