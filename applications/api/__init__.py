"""REST API of the applications app; importing the area modules registers their viewsets."""

from . import intake, lifecycle, preapplications, receipts, yearend  # noqa: F401
