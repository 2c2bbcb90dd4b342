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

DailyJob = Callable[..., list[tuple[object, str]]]

_enforcements: dict[str, EnforcementHandler] = {}
_obligations: dict[str, ObligationCounter] = {}
_daily_jobs: dict[str, DailyJob] = {}


def register_enforcement(action: str, handler: EnforcementHandler) -> None:
    """Register the handler of an enforcement action (KeyDate.enforcement_action). Last one wins."""
    _enforcements[action] = handler


def register_obligation(code: str, counter: ObligationCounter) -> None:
    """Register the counter of open items for a key date code (KeyDate.code). Last one wins."""
    _obligations[code] = counter


def register_daily_job(name: str, handler: DailyJob) -> None:
    """Register a job the calendar runs every day: handler(*, as_of, dry_run) → [(obj, "中文描述"), ...].

    For rules tied to a date of each object rather than to a key date (e.g. the relief amount frozen on
    each case's cutoff day). The handler works from state (idempotent, catching up by itself: whatever is
    due on or before `as_of` and not yet done), writes nothing when dry_run, and runs in its own
    transactions. Last one wins."""
    _daily_jobs[name] = handler


def daily_jobs() -> dict[str, DailyJob]:
    return dict(_daily_jobs)


def unregister_daily_job(name: str) -> None:
    _daily_jobs.pop(name, None)


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
