"""The intake clock (local time) the queue services and pages share; tests set `now`."""

import sys

from django.utils import timezone


def _local():
    return timezone.localtime()


def now():
    """Local time now. Tests set `clock.now`; tests written against the former module name may still set
    `applications.services.intake._now`, which is honoured too."""
    legacy = sys.modules.get("applications.services.intake")
    patched = getattr(legacy, "_now", None) if legacy is not None else None
    if patched is not None and patched is not _local:
        return patched()
    return _local()
