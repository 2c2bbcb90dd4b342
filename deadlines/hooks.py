"""Registrations of the calendar app: navigation, dashboard panel, audit labels, demo seeder."""

from loanportal.registry import ALL_ROLES, NavItem, register_action_labels, register_nav


def register():
    register_nav(NavItem("工作日历", "calendar", ALL_ROLES, order=80))
    register_action_labels(
        {
            "loan_year.ensure": "建立贷款年度工作日历",
            "key_date.update": "修改时间节点",
            "key_date.extend": "时间节点延期",
            "calendar.enforce": "到期处理",
        }
    )
