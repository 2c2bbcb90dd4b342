"""Why an action on an object is refused: the one answer both the services (which raise it) and the
pages and API (which render only the actions that have no refusal) read. No database."""

from typing import NamedTuple

from loanportal.errors import ConflictError, DomainError, PermissionDeniedError

FORBIDDEN = "forbidden"  # the user may not (403)
CONFLICT = "conflict"  # the object's state does not allow it (409)
INVALID = "invalid"  # not now / not like this (400)

_ERRORS = {FORBIDDEN: PermissionDeniedError, CONFLICT: ConflictError, INVALID: DomainError}


class Refusal(NamedTuple):
    message: str
    kind: str = FORBIDDEN

    @property
    def conflict(self) -> bool:
        return self.kind == CONFLICT


def refuse(refusal: "Refusal | None") -> None:
    """Raise the domain error of a refusal (nothing when there is none)."""
    if refusal is not None:
        raise _ERRORS[refusal.kind](refusal.message)
