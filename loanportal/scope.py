"""The one scope mechanism (DESIGN.md "Users, organisations, scope"): who sees and who may write what.

Reads: `scope_q(user, county=…, university=…, organisation=…, bank=…)` is the only place that switches
on the kind of the user's organisation. Each selector names the paths from its model to the things that
place a row in the tree (the owning county, the student's university, an owning organisation of any
kind, and the Q of the cases handed to the bank); the function answers with the Q for this user:

| organisation | sees                                                                  |
| ------------ | --------------------------------------------------------------------- |
| province     | everything                                                            |
| city         | rows of its counties (`county__parent`), rows it owns itself          |
| county       | rows of the county                                                    |
| university   | rows of its students (`university`), rows it owns                     |
| bank         | the `bank` Q the selector gives (cases handed over), rows it owns     |

Writes: `require_write_scope(actor, county=…, university=…)` is the only place a service asks whether
the actor may write an object of that county / university (a county writes its own rows, a university
its own students'; province, city and bank write nothing through it). Outside the scope a service
raises PermissionDeniedError; the views answer 404 because their selectors never return the object.
"""

from django.db.models import Q

from .errors import PermissionDeniedError
from .roles import COUNTY_ROLES, UNIVERSITY_ROLES, OrgKind

NOTHING = Q(pk__in=[])


def _active_org(user):
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    return getattr(user, "organisation", None)


def scope_q(
    user,
    *,
    county: str | None = None,
    university: str | None = None,
    organisation: str | None = None,
    bank: Q | None = None,
) -> Q:
    """The Q limiting a queryset to the user's scope. Paths are field paths without `_id`, e.g.
    county="student__household_county", university="student__university", organisation="organisation"
    ("" for the organisation itself)."""
    org = _active_org(user)
    if org is None:
        return NOTHING
    kind = org.kind
    if kind == OrgKind.PROVINCE:
        return Q()
    parts: list[Q] = []
    if organisation is not None:
        # "" is the queried organisation itself (a list of organisations)
        own, parent = (
            (f"{organisation}_id", f"{organisation}__parent_id") if organisation else ("pk", "parent_id")
        )
        parts.append(Q(**{own: org.pk}))
        if kind == OrgKind.CITY:
            parts.append(Q(**{parent: org.pk}))
    if county:
        if kind == OrgKind.CITY:
            parts.append(Q(**{f"{county}__parent_id": org.pk}))
        elif kind == OrgKind.COUNTY:
            parts.append(Q(**{f"{county}_id": org.pk}))
    if university and kind == OrgKind.UNIVERSITY:
        parts.append(Q(**{f"{university}_id": org.pk}))
    if bank is not None and kind == OrgKind.BANK:
        parts.append(bank)
    if not parts:
        return NOTHING
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def org_kind(user) -> str | None:
    """The kind of the user's organisation (None for an inactive user or one without organisation), for
    the few pages that differ per kind of organisation rather than per row."""
    org = _active_org(user)
    return org.kind if org is not None else None


def require_write_scope(
    actor,
    *,
    county=None,
    university=None,
    business: str,
    allow_system: bool = False,
) -> None:
    """The actor may write an object of this county (county staff/manager of it) or of this university's
    students (university officer/manager of it); None is the system (demo data, the calendar) and only
    passes with allow_system. `business` names the work in the Chinese message."""
    if actor is None:
        if allow_system:
            return
        raise PermissionDeniedError(f"系统不能代为办理{business}")
    role = getattr(actor, "role", None)
    org_id = getattr(actor, "organisation_id", None)
    county_id = getattr(county, "pk", county)
    university_id = getattr(university, "pk", university)
    if role in COUNTY_ROLES and county_id is not None:
        if org_id == county_id:
            return
        raise PermissionDeniedError(f"只能办理本县的{business}")
    if role in UNIVERSITY_ROLES and university_id is not None:
        if org_id == university_id:
            return
        raise PermissionDeniedError(f"只能办理本校学生的{business}")
    if county_id is not None and university_id is None:
        raise PermissionDeniedError(f"只有县级学生资助管理中心可以办理{business}")
    raise PermissionDeniedError(f"您的角色不能办理{business}")
