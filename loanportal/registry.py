"""Extension points the apps fill in their AppConfig.ready(): navigation and dashboard panels.

Keeps base.html and the dashboard free of knowledge about each app.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 100
    icon: str = ""


@dataclass(frozen=True)
class Panel:
    """A dashboard card: `render(user)` returns a dict with title, value, url, note, level — or None.

    A card depends on the user's role and organisation only, and is shared by everyone with both for
    DASHBOARD_CARD_SECONDS (loanportal.dashboard.cards_for); `per_user=True` marks a card that depends on
    the user themself (their notifications, their own requests): it is computed on every page."""

    key: str
    roles: frozenset[str]
    render: Callable
    order: int = 100
    per_user: bool = False


_nav: list[NavItem] = []
_panels: list[Panel] = []
_seeders: list[tuple[int, Callable]] = []


def register_nav(item: NavItem) -> None:
    if item not in _nav:
        _nav.append(item)


def register_panel(panel: Panel) -> None:
    if all(existing.key != panel.key for existing in _panels):
        _panels.append(panel)


def register_seeder(order: int, seeder: Callable) -> None:
    """seed_demo calls each seeder(context) in order; context holds the demo orgs, users and students."""
    if all(existing is not seeder for _, existing in _seeders):
        _seeders.append((order, seeder))


def nav_for(user) -> list[NavItem]:
    return sorted((i for i in _nav if user.role in i.roles), key=lambda i: i.order)


def panels_for(user) -> list[Panel]:
    return sorted((p for p in _panels if user.role in p.roles), key=lambda p: p.order)


def seeders() -> list[Callable]:
    return [seeder for _, seeder in sorted(_seeders, key=lambda pair: pair[0])]


ALL_ROLES: frozenset[str] = frozenset(
    {
        "county_staff",
        "county_manager",
        "city_manager",
        "university_officer",
        "university_manager",
        "province_officer",
        "province_manager",
        "bank_officer",
    }
)


_action_labels: dict[str, str] = {
    "student.create": "登记学生",
    "student.update": "修改学生信息",
    "co_borrower.create": "添加共同借款人",
    "reveal.id_number": "查看完整身份证号",
    "reveal.phone": "查看完整电话",
    "user.create": "创建用户",
    "account.locked_out": "账号锁定",
}


def register_action_labels(labels: dict[str, str]) -> None:
    """Chinese names of audit actions, shown instead of the code (`application.accepted` → 受理)."""
    _action_labels.update(labels)


def action_label(action: str) -> str:
    return _action_labels.get(action, action)


def action_choices() -> list[tuple[str, str]]:
    """The known audit actions as (code, Chinese name), by name: the 操作 filter's options."""
    return sorted(_action_labels.items(), key=lambda pair: (pair[1], pair[0]))


SYSTEM_ACTOR = "system"  # loanportal.audit records jobs and sweeps under this name


def actor_label(username: str) -> str:
    """The audit row's actor as shown: a job's or sweep's rows say 系统."""
    return "系统" if not username or username == SYSTEM_ACTOR else username


def object_type_label(object_type: str) -> str:
    """The Chinese name of an audit row's object type (`loanportal.exportrequest` → 导出申请): the model's
    verbose_name; an unknown type stays as stored."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
