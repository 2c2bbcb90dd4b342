"""Dispatching Celery work (投递任务): every job is recorded in the database first, its message is published
after commit, and a periodic sweep re-publishes what never reached a worker. So a failed publish (Redis
down) is logged and forgotten here, never raised to the request.

The publish is bounded (settings: broker socket timeouts, one retry), and after a failed publish this
process does not try again for BROKER_DOWN_SECONDS (a breaker): a page that queues several pieces of work
while Redis is down waits for one failed publish at most, not one per piece. The sweeps publish with
force=True: they run in a worker once the broker is back and must not be held back by the breaker.
"""

import logging
import time

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_down_until = 0.0  # monotonic time until which this process skips publishing (the breaker is open)


def broker_down_reset() -> None:
    """Close the breaker (tests; a process that knows the broker is back)."""
    global _down_until
    _down_until = 0.0


def publish(task, *args, what: str, force: bool = False) -> bool:
    """Publish one message for `task` now. False (logged) when the broker is down or the breaker is open:
    the work stays recorded in the database for its sweep."""
    global _down_until
    from celery import current_app

    eager = current_app.conf.task_always_eager
    if not force and not eager and time.monotonic() < _down_until:
        logger.warning("%s: broker marked down, left for the sweep", what)
        return False
    try:
        task.delay(*args)
    except Exception:  # broker down (or, eager, the job itself failed): the row waits for the sweep
        logger.warning("%s: not dispatched, left for the sweep", what, exc_info=True)
        if not eager:
            _down_until = time.monotonic() + settings.BROKER_DOWN_SECONDS
        return False
    return True


def publish_on_commit(task, *args, what: str, force: bool = False) -> None:
    """Publish after the current transaction commits (the row the job reads exists before its message);
    outside a transaction, at once."""
    transaction.on_commit(lambda: publish(task, *args, what=what, force=force))
