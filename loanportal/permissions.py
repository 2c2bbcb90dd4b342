"""Role checks shared by the services of every app (the API's HasRole decides per endpoint; these decide
per object, inside the service, so pages, API and jobs get the same answer). Both go through the one
write-scope check, `loanportal.scope.require_write_scope`."""

from .scope import require_write_scope


def require_own_county(actor, county, *, business: str, allow_system: bool = False) -> None:
    """The actor is staff or manager of this county (or, with allow_system, None: the system — demo, beat).

    `business` names the work in the message, e.g. "受理业务" → "只能办理本县的受理业务"."""
    require_write_scope(actor, county=county, business=business, allow_system=allow_system)
