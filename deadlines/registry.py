"""What each key date does: apps register enforcement handlers and obligation counters here.

Register in your app's AppConfig.ready():

    from deadlines.registry import Obligation, register_enforcement, register_obligation

    def close_intake(*, loan_year, key_date, organisation, as_of, dry_run):
        # Return [(obj, "description"), ...] of what was (dry_run=False) or would be (True) touched.
        # Must write nothing when dry_run is True. Runs inside the engine's transaction, once per
        # (key date, organisation); write through your own services (they audit).
        ...

    def open_receipts(*, organisation, loan_year):
        return Obligation(count=..., url=reverse(...))  # items this organisation still owes

    register_enforcement("applications.close_intake", close_intake)   # KeyDate.enforcement_action
    register_obligation("receipt_entry_due", open_receipts)            # KeyDate.code

See docs/calendar.md.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Obligation:
    """What an organisation still owes for a key date: number of open items and where to do them."""

    count: int
    url: str = ""


EnforcementHandler = Callable[..., list[tuple[object, str]]]
ObligationCounter = Callable[..., Obligation]

_enforcements: dict[str, EnforcementHandler] = {}
_obligations: dict[str, ObligationCounter] = {}


def register_enforcement(action: str, handler: EnforcementHandler) -> None:
    """Register the handler of an enforcement action (KeyDate.enforcement_action). Last one wins."""
    _enforcements[action] = handler


def register_obligation(code: str, counter: ObligationCounter) -> None:
    """Register the counter of open items for a key date code (KeyDate.code). Last one wins."""
    _obligations[code] = counter


def enforcement_for(action: str) -> EnforcementHandler | None:
    return _enforcements.get(action) if action else None


def obligation_for(code: str) -> ObligationCounter | None:
    return _obligations.get(code)


def unregister_enforcement(action: str) -> None:
    _enforcements.pop(action, None)


def unregister_obligation(code: str) -> None:
    _obligations.pop(code, None)


def count_obligation(code: str, *, organisation, loan_year) -> Obligation | None:
    """The counter's answer, normalised (a counter may return an Obligation, a (count, url) tuple or an
    int); None when no counter is registered for the code."""
    counter = obligation_for(code)
    if counter is None:
        return None
    result = counter(organisation=organisation, loan_year=loan_year)
    if isinstance(result, Obligation):
        return result
    if isinstance(result, tuple):
        return Obligation(int(result[0]), result[1] if len(result) > 1 else "")
    return Obligation(int(result))
