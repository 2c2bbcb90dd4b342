"""Where the current action comes from (IP address), set per request by RequestContextMiddleware."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
