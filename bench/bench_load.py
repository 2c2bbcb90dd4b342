"""load_200_staff: 200 simulated county staff (locust, headless, 127.0.0.1) against gunicorn for 2 minutes.

Each user logs in, then browses the dashboard, the application list (opening a case from it), the student
and pre-application lists, and saves a pre-application form, with a 5-second think time between tasks.
Figure: p95 response time in ms over every page request of the 2 minutes that start when the last user has
logged in (logins are Argon2 work, not browsing: their p95 is printed separately), with the error count and
each page's own p95 (target: zero errors, p95 < 500 ms on 2 cores). Baseline, same run and data: the same scenario with one
user for 30 s (the latency floor of an idle server); ratio = floor / loaded p95.

gunicorn runs the development settings module with DEBUG off (production settings would demand TLS
and real secrets); workers, threads and preloading as gunicorn.conf.py, on the harness's database; with
CELERY_BROKER_URL (or REDIS_URL) set, the cache is Redis as in production (docker-compose.yml).
"""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "load-only-password-2026!"
USERS = int(os.environ.get("BENCH_LOAD_USERS", "200"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "120"))
# Staff arrive over 40 s (5 a second), not all in one second: each login costs an Argon2 hash (~0.1 s of CPU
# and 100 MB). Statistics are reset once everyone is in, so the figure is the 2 minutes of work after that.
SPAWN_RATE = int(os.environ.get("BENCH_LOAD_SPAWN_RATE", "5"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make_staff() -> tuple[list[str], int]:
    from django.contrib.auth.hashers import make_password

    from deadlines.services import current_loan_year
    from loanportal.models import Organisation, User
    from loanportal.roles import OrgKind, Role

    common.demo_context()
    counties = list(Organisation.objects.filter(kind=OrgKind.COUNTY).order_by("code")[:4])
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        [
            User(
                username=f"load_staff_{n}",
                full_name=f"压测经办{n}",
                role=Role.COUNTY_STAFF,
                organisation=counties[n % len(counties)],
                password=hashed,
            )
            for n in range(USERS)
        ],
        ignore_conflicts=True,
    )
    return [c.code for c in counties], current_loan_year()


def _locust(host: str, users: int, seconds: int, out: str, env: dict) -> dict:
    """Run locust until `seconds` after the last user has logged in (bench/locustfile.py resets the
    statistics then and stops itself); the cap leaves room for the logins."""
    cap = seconds + users // SPAWN_RATE + 120
    times_file = f"{out}_times.json"
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(SPAWN_RATE),
            "-t",
            f"{cap}s",
            "--host",
            host,
            "--csv",
            out,
            "--only-summary",
            "--stop-timeout",
            "10",
        ],
        env={**env, "LOAD_USERS": str(users), "LOAD_SECONDS": str(seconds), "LOAD_TIMES_FILE": times_file},
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=cap + 60,
    )
    with open(f"{out}_stats.csv", encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    with open(times_file, encoding="utf-8") as recorded:
        recorded = json.load(recorded)
    times, logins = recorded["pages"], recorded["logins"]
    pages = [r for r in rows if r["Name"] not in ("login", "login page", "Aggregated")]
    requests = sum(int(r["Request Count"]) for r in pages)
    return {
        "requests": requests,
        "failures": sum(int(r["Failure Count"]) for r in rows if r["Name"] != "Aggregated"),
        "p95_worst_page_ms": max((float(r["95%"]) for r in pages if int(r["Request Count"])), default=0.0),
        # the p95 of every page request of the measured window (login excluded: reported on its own)
        "p95_ms": common.percentile(times, 0.95),
        "p50_ms": common.percentile(times, 0.50),
        "p95_login_ms": common.percentile(logins, 0.95),
        "rps": sum(float(r["Requests/s"]) for r in pages),
        "pages": {r["Name"]: {"requests": int(r["Request Count"]), "p95_ms": float(r["95%"])} for r in pages},
    }


def run() -> list[dict]:
    counties, year = _make_staff()
    common.settle_database()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loanportal.settings",
        "DJANGO_DEBUG": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_USERS": str(USERS),
        "LOAD_COUNTIES": ",".join(counties),
        "LOAD_YEAR": str(year),
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "loanportal.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(60):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        host = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as directory:
            floor = _locust(host, 1, 30, f"{directory}/floor", env)
            loaded = _locust(host, USERS, SECONDS, f"{directory}/loaded", env)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return [
        common.result(
            "load_200_staff",
            loaded["p95_ms"],
            "ms p95",
            "the same scenario with 1 user (idle-server floor)",
            floor["p95_ms"],
            higher_is_better=False,
            users=USERS,
            seconds=SECONDS,
            errors=loaded["failures"],
            requests=loaded["requests"],
            requests_per_second=round(loaded["rps"], 1),
            p50_ms=round(loaded["p50_ms"], 1),
            p95_worst_page_ms=loaded["p95_worst_page_ms"],
            pages=loaded["pages"],
            p95_login_ms=loaded["p95_login_ms"],
            floor_errors=floor["failures"],
        )
    ]
