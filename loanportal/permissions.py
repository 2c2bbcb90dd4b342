"""Role checks shared by the services of every app (the API's HasRole decides per endpoint; these decide
per object, inside the service, so pages, API and jobs get the same answer)."""

from .errors import PermissionDeniedError
from .roles import COUNTY_ROLES


def require_own_county(actor, county, *, business: str, allow_system: bool = False) -> None:
    """The actor is staff or manager of this county (or, with allow_system, None: the system — demo, beat).

    `business` names the work in the message, e.g. "受理业务" → "只能办理本县的受理业务"."""
    if actor is None:
        if allow_system:
            return
        raise PermissionDeniedError(f"系统不能代为办理{business}")
    if actor.role not in COUNTY_ROLES:
        raise PermissionDeniedError(f"只有县级学生资助管理中心可以办理{business}")
    if actor.organisation_id != county.pk:
        raise PermissionDeniedError(f"只能办理本县的{business}")
