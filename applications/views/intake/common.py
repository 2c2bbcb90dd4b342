"""Shared helpers of the intake views (role checks, running a service with messages, the clock)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from loanportal.domain_forms import error_text, message_error
from loanportal.errors import DomainError
from loanportal.roles import COUNTY_ROLES, OrgKind

READER_KINDS = (OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE)


def _require_reader(user):
    org = user.organisation
    if org is None or org.kind not in READER_KINDS:
        raise PermissionDenied("受理安排仅对县、市、省资助机构开放")


def _require_county(user):
    if user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级资助中心可以办理受理业务")


_error_text = error_text


def _run(request, fn, success: str | None = None, **kwargs):
    """Call a service; show its domain error as a message. Returns the result or None."""
    try:
        result = fn(actor=request.user, **kwargs)
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
        return None
    if success:
        messages.success(request, success.format(result=result))
    return result


def _today():
    return timezone.localdate()
