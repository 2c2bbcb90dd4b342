"""Domain errors. The API exception handler maps them to 400/409; views show them as messages."""


class DomainError(Exception):
    """A rule of the policy refuses the request (HTTP 400)."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """The request conflicts with the current state (HTTP 409): wrong state, slot full, duplicate."""

    status_code = 409


class PermissionDeniedError(DomainError):
    """The role may not do this at all (HTTP 403)."""

    status_code = 403
