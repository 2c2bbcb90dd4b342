"""`make bench`: run every bench/bench_*.py module against a throwaway database and report the figures.

Not a test and never run in CI. Each module exposes `run() -> list[dict]` (see bench/common.py `result`).
The database is the harness's own: with DATABASE_URL pointing at PostgreSQL, a database named
`loanportal_bench_<pid>` on the same server is dropped, created, migrated and dropped again at the end; without
DATABASE_URL (or with SQLite), a temporary SQLite file. Dev and test data are never touched. PostgreSQL
gives the meaningful figures (that is what production runs). Results go to bench/results.json.

    .venv/bin/python bench/run.py                      # every bench
    .venv/bin/python bench/run.py preapplication_import  # only bench_preapplication_import.py
"""

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# One database per run (the PID): two people running `make bench` on one server must not drop each other's.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME") or f"loanportal_bench_{os.getpid()}"


def _postgres_admin(config):
    import psycopg2

    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


def prepare_database() -> tuple[str, callable]:
    """Point DATABASE_URL at a fresh bench database; return (description, cleanup)."""
    import environ

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        config = environ.Env.db_url_config(url)
        admin = _postgres_admin(config)
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        admin.close()
        base = url.rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{BENCH_DATABASE}"

        def cleanup():
            from django.db import connections

            connections.close_all()
            admin = _postgres_admin(config)
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            admin.close()

        host = config.get("HOST") or "localhost"
        return f"PostgreSQL {host}/{BENCH_DATABASE} (created and dropped by the harness)", cleanup

    directory = tempfile.mkdtemp(prefix="loanportal-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"

    def cleanup():
        from django.db import connections

        connections.close_all()
        shutil.rmtree(directory, ignore_errors=True)

    return "SQLite (temporary file; set DATABASE_URL to a PostgreSQL server for meaningful figures)", cleanup


def discover(selected: list[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    if selected:
        wanted = {s if s.startswith("bench_") else f"bench_{s}" for s in selected}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(
                f"unknown bench module(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}"
            )
        names = [n for n in names if n in wanted]
    return names


def print_table(results: list[dict]) -> None:
    columns = [
        ("name", "figure"),
        ("value", "ours"),
        ("unit", "unit"),
        ("baseline_value", "baseline"),
        ("ratio", "ratio"),
        ("baseline", "baseline is"),
    ]
    lines = [[label for _, label in columns]]
    for row in results:
        lines.append([str(row.get(key, "")) for key, _ in columns])
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="bench module names (default: all bench/bench_*.py)")
    parser.add_argument("--output", default=str(BENCH_DIR / "results.json"))
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings")
    names = discover(args.modules)
    described, cleanup = prepare_database()
    print(f"database: {described}")
    results: list[dict] = []
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
        for name in names:
            module = importlib.import_module(f"bench.{name}")
            started = time.perf_counter()
            print(f"running {name} …", flush=True)
            rows = module.run()
            for row in rows:
                row.setdefault("module", name)
                row.setdefault("database", connection.vendor)
            results.extend(rows)
            print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        # BENCH_KEEP_DATABASE=1: to look into a figure on the data it was measured on
        if os.environ.get("BENCH_KEEP_DATABASE") == "1":
            print(f"kept: {os.environ['DATABASE_URL']}")
        else:
            cleanup()
    print()
    print_table(results)
    Path(args.output).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
