"""The intake clock (local time) the queue services and pages share; tests set `now`."""

from django.utils import timezone


def now():
    """Local time now. Tests set `clock.now`."""
    return timezone.localtime()
