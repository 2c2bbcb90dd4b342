"""Compatibility name of `applications.services.queue` (the intake queue: sites, slots, bookings,
appointments). New code imports `services.queue`; the loan application is `services.lifecycle`."""

from .queue import *  # noqa: F403
from .queue import __all__  # noqa: F401
from .queue.clock import _local as _now  # noqa: F401  (tests of the former name set it)
