"""Password-failure lockout (django-axes) with two limits.

- Per username (AXES_FAILURE_LIMIT, default 5): the account is locked for the cool-off period. This
  stops guessing one account's password from many addresses.
- Per client address (AXES_IP_FAILURE_LIMIT, default 30, higher): the address may not try any more
  passwords for the cool-off period. This stops one address from spraying a password over every account,
  and from locking every account out (it is stopped after AXES_IP_FAILURE_LIMIT / AXES_FAILURE_LIMIT
  accounts). It is higher than the per-username limit because a county office's clerks share one NAT
  address, and one colleague's typos must not shut the others out.

Failures made while a lockout is in force are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
is False), so a locked address cannot go on to lock accounts. A successful login clears only that
username's failures, not the address's, so a valid account cannot be used to reset the address count.
The client address honours X-Forwarded-For only as far as NUM_PROXIES says (see settings)."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with NUM_PROXIES = n > 0 trusted reverse proxies the n-th
    address from the right of X-Forwarded-For (the one our outermost proxy saw). Addresses the client
    itself puts in the header are to the left of it and never used."""
    meta = getattr(request, "META", {})
    remote_addr = (meta.get("REMOTE_ADDR") or "").strip()
    num_proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote_addr
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(num_proxies, len(addresses))]


def _failures(**filters) -> int:
    attempts = AccessAttempt.objects.filter(**filters)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def address_failures(ip_address: str) -> int:
    return _failures(ip_address=ip_address) if ip_address else 0


class UsernameAndAddressHandler(AxesDatabaseHandler):
    """Counts failures per username against AXES_FAILURE_LIMIT and per address against
    AXES_IP_FAILURE_LIMIT; either one reaching its limit locks the request."""

    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        by_username = _failures(username=username) if username else 0
        if address_failures(getattr(request, "axes_ip_address", None)) >= settings.AXES_IP_FAILURE_LIMIT:
            # The address is over its own limit: report it as at the (lower) lockout limit.
            return max(by_username, settings.AXES_FAILURE_LIMIT)
        return by_username

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
