"""The one race helper of the concurrency tests: real threads, each with its own database connection,
released together by a barrier."""

import threading

from django.db import connections


def race(*jobs, timeout: float = 30):
    """Run the jobs in threads released together by a barrier; return, in the jobs' order, what each
    returned or the exception it raised. Fails when a thread is still running after `timeout` seconds
    (a write hung: a deadlock or a lock never released)."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a write hung"
    return results
