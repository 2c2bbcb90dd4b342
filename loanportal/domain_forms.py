"""One mapping of domain errors onto forms and messages, for every view.

Services raise `ValidationError` (per field) and `DomainError` (with an optional field); views hand them
to `form_errors_add` (a form page) or `message_error` (a button that redirects). A PermissionDeniedError
becomes Django's PermissionDenied (403) in both: a role that may not do this at all."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError

from .errors import DomainError, PermissionDeniedError


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return getattr(exc, "message", str(exc))


def form_errors_add(form, exc: Exception, *, default_field: str | None = None) -> None:
    """Put a service's error on the form: each field's messages on that field when the form has it, the
    rest (and a DomainError without a field) on `default_field` or at the top of the form."""
    if isinstance(exc, PermissionDeniedError):
        raise PermissionDenied(exc.message) from exc
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else default_field, errors)
        else:
            form.add_error(default_field, exc.messages)
        return
    if isinstance(exc, DomainError):
        form.add_error(exc.field if exc.field in form.fields else default_field, exc.message)
        return
    raise exc


def message_error(request, exc: Exception) -> None:
    """Show a service's error as a message (buttons that redirect back to the page)."""
    if isinstance(exc, PermissionDeniedError):
        raise PermissionDenied(exc.message) from exc
    if isinstance(exc, (DomainError, ValidationError)):
        messages.error(request, error_text(exc))
        return
    raise exc
