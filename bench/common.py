"""Helpers shared by the bench modules (bench/bench_*.py). Each module exposes `run() -> list[dict]`;
build each dict with `result()` so bench/results.json keeps one shape."""

import io
import time
from contextlib import contextmanager
from functools import cache


def result(
    name: str,
    value: float,
    unit: str,
    baseline: str,
    baseline_value: float,
    *,
    higher_is_better: bool = True,
    **extra,
) -> dict:
    """One figure against a baseline measured in the same run on the same data.

    `ratio` > 1 means ours is better: value / baseline_value for rates (rows/s), the inverse for times.
    """
    if higher_is_better:
        ratio = value / baseline_value if baseline_value else None
    else:
        ratio = baseline_value / value if value else None
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(baseline_value, 3),
        "ratio": round(ratio, 2) if ratio is not None else None,
        **extra,
    }


class Stopwatch:
    seconds: float = 0.0


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (any order); 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


@contextmanager
def stopwatch():
    """with stopwatch() as watch: …; watch.seconds holds the wall time of the block."""
    watch = Stopwatch()
    start = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start


@cache
def demo_context() -> dict:
    """The demo province (organisations, users, students) in the bench database, created once per run."""
    from loanportal.demo import seed_core

    return seed_core(password="bench-only-password-2026", stdout=io.StringIO())


def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def settle_database() -> None:
    """VACUUM (ANALYZE) on PostgreSQL before measuring: what an earlier bench of the same run bulk-loaded or
    deleted (a million applications, a ledger's dead rows, the load's saved forms) would otherwise be
    vacuumed by autovacuum in the middle of a measurement. A production database is in that settled state
    between peaks; ours and the baseline are both measured after it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
