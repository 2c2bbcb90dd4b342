"""Per-request context set by RequestContextMiddleware: where the current action comes from (IP address)
and a memo for reference data read several times while one page is built (the loan year, key dates)."""

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
request_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)

T = TypeVar("T")


def memoised(key: tuple, compute: Callable[[], T]) -> T:
    """`compute()` once per request for `key`; outside a request (jobs, shell, tests) every call computes."""
    memo = request_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def memo_forget(prefix: str) -> None:
    """Forget the memoised values whose key starts with `prefix` (a write changed what they were read from)."""
    memo = request_memo.get()
    if memo:
        for key in [k for k in memo if k and k[0] == prefix]:
            del memo[key]
