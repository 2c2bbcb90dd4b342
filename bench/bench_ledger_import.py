"""ledger_import_100k: the bank's ledger spreadsheet of 100,000 contracts imported with full validation, in
rows/s, against django-import-export's `import_data` on the same file in the same run (target ≥ 20×).

Data: 100,000 students and their contracts created first (bulk, not timed); a ledger spreadsheet with one
row per contract (the template of repayment_relief.ledger_import: rates repriced every 21 December, a third
with overdue principal and interest and penalty, schedules ending on 20 September), written by openpyxl
with shared strings as Excel writes them.

Ours: repayment_relief.ledger_import.ledger_import through the one import path (loanportal.imports: checks
before parsing, python-calamine, header matching, every row parsed and checked by ledger.ledger_parse,
one query for the contracts, then one transaction: the previous latest snapshots marked history with one
UPDATE, the snapshots with PostgreSQL COPY, one batch and one audit row). Baseline:
repayment_relief.resources.LedgerSnapshotResource.import_data on the same file (tablib loads the xlsx; row
by row: contract lookup, list widgets, model full_clean, the ledger check, the previous latest marked
history, save), dry_run=False, use_transactions=True, rollback_on_validation_errors=True. Each run starts
with no snapshots and must end with every row saved; ours is also run once with one bad row at the end,
which must save nothing. BENCH_LEDGER_ROWS (default 100000) sets the size; the name follows it.
`peak_mb`: the largest growth of the process's resident memory while our import runs (sampled every
0.1 s, no tracing overhead); `traced_peak_mb`: tracemalloc's peak of Python allocations during the refused
run (the same checks, reading, parsing and staging; no write).

ledger_import_1_5m: a province's ledger, 1,500,000 contracts in a CSV (UTF-8), through the background-job
path as the worker runs it (loanportal.imports.jobs: the upload saved, then import_job_run: checks, rows
streamed in chunks into the staging table, SQL checks, one transaction creating every contract and
snapshot), in rows/s with its seconds and peak_mb; the students exist, the contracts are new. No baseline
(import-export cannot hold the file: baseline fields are 0). BENCH_LEDGER_BIG_ROWS (default 1500000; 0
skips it) sets the size.
"""

import io
import os
import random
import resource
import shutil
import tempfile
import threading
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

from . import common

ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", "100000"))
BIG_ROWS = int(os.environ.get("BENCH_LEDGER_BIG_ROWS", "1500000"))
SEED = 20261201


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


class _Peak:
    mb: float = 0.0


@contextmanager
def rss_growth(interval: float = 0.1):
    """with rss_growth() as peak: …; peak.mb is the largest resident-memory growth seen during the block."""
    peak = _Peak()
    start = _rss()
    highest = [start]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            highest[0] = max(highest[0], _rss())
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()
        highest[0] = max(highest[0], _rss())
        peak.mb = round((highest[0] - start) / 1024 / 1024, 1)


def _contracts(rows: int):
    """`rows` students of one county with one contract each (bulk, not timed)."""
    from datetime import date, timedelta
    from decimal import Decimal

    from loanportal.demo import make_id_number
    from loanportal.models import Student
    from repayment_relief.models import LoanContract

    county = common.demo_context()["counties"][0]
    prefix = "BENCHLG"
    students = []
    for i in range(rows):
        birth = (date(2000, 1, 1) + timedelta(days=i // 900)).strftime("%Y%m%d")
        students.append(
            Student(
                name=f"借款{i:06d}",
                id_number=make_id_number(county.code, birth, i % 900),
                household_county=county,
            )
        )
    Student.objects.bulk_create(students, batch_size=5000, ignore_conflicts=True)
    ids = [s.id_number for s in students]
    pks = dict(Student.objects.filter(id_number__in=ids).values_list("id_number", "pk"))
    LoanContract.objects.bulk_create(
        [
            LoanContract(
                contract_no=f"{prefix}{i:07d}",
                borrower_id=pks[ids[i]],
                county=county,
                principal=Decimal("16000.00"),
                school_year=2021,
            )
            for i in range(rows)
        ],
        batch_size=5000,
    )
    return [f"{prefix}{i:07d}" for i in range(rows)], ids


def _ledger_rows(contracts, id_numbers, *, bad_last_row: bool = False, county: str = ""):
    rng = random.Random(SEED)
    last = len(contracts) - 1 if hasattr(contracts, "__len__") else -1
    for i, (contract_no, id_number) in enumerate(zip(contracts, id_numbers, strict=True)):
        overdue = rng.random() < 0.35
        each = rng.randint(10, 40) * 100
        schedule = f"2026-12-20:{each}.00；2027-12-20:{each}.00；2028-09-20:{each}.00"
        outstanding = each * 3 + (each if overdue else 0)
        row = [
            contract_no,
            id_number,
            county,
            "16000.00" if county else "",
            "2021" if county else "",
            "2026-10-31",
            "2025-12-20",
            f"{outstanding}.00",
            f"{rng.randint(0, 30000) / 100:.2f}" if overdue else "0.00",
            f"2024-12-21:{rng.randint(280, 340) / 100:.2f}；2025-12-21:2.80",
            f"本金:2025-12-20:{each}.00；利息:2025-12-20:{rng.randint(5000, 60000) / 100:.2f}"
            if overdue
            else "",
            schedule,
        ]
        if bad_last_row and i == last:
            row[7] = "1.00"  # the schedule no longer adds up
        yield row


def build_workbook(contracts, id_numbers, *, bad_last_row: bool = False) -> bytes:
    from openpyxl import Workbook

    from repayment_relief.ledger_import import HEADERS

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "贷款台账"
    sheet.append(list(HEADERS))
    for row in _ledger_rows(contracts, id_numbers, bad_last_row=bad_last_row):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _named(data: bytes, name: str):
    buffer = io.BytesIO(data)
    buffer.name = name
    buffer.size = len(data)
    return buffer


def _clear():
    from repayment_relief.models import LedgerImport, LoanLedgerSnapshot

    LoanLedgerSnapshot.objects.filter(contract__contract_no__startswith="BENCHLG").delete()
    LedgerImport.objects.all().delete()


def _big_students(rows: int):
    """`rows` more students (bulk, in slices, not timed); → (county, index → ID number)."""
    from datetime import date, timedelta

    from loanportal.demo import make_id_number
    from loanportal.models import Student

    county = common.demo_context()["counties"][0]

    def id_of(i: int) -> str:  # born 1975–1979: apart from the 100k figure's students (2000 on)
        return make_id_number(
            county.code, (date(1975, 1, 1) + timedelta(days=i // 900)).strftime("%Y%m%d"), i % 900
        )

    for start in range(0, rows, 20000):
        Student.objects.bulk_create(
            [
                Student(name=f"全省{i:07d}", id_number=id_of(i), household_county=county)
                for i in range(start, min(rows, start + 20000))
            ],
            batch_size=5000,
        )
    return county, id_of


def _big_figure(bank) -> dict:
    """A province's ledger as CSV through the import-job path (see the module docstring)."""
    import csv

    from django.conf import settings
    from django.core.files import File

    from loanportal.imports import jobs
    from loanportal.imports.models import ImportJob
    from repayment_relief.ledger_import import HEADERS
    from repayment_relief.models import LoanLedgerSnapshot

    county, id_of = _big_students(BIG_ROWS)
    directory = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    settings.IMPORT_JOB_ROOT = str(directory / "jobs")
    path = directory / "province-ledger.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        contracts = (f"BENCHBIG{i:07d}" for i in range(BIG_ROWS))
        ids = (id_of(i) for i in range(BIG_ROWS))
        writer.writerows(_ledger_rows(contracts, ids, county=county.code))
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle, common.stopwatch() as watch, rss_growth() as peak:
            job = jobs.import_job_create(
                actor=bank,
                kind="ledger",
                organisation=bank.organisation,
                year=2026,
                file=File(handle, "全省台账.csv"),
            )
            # what the worker runs (already run in-process when Celery is eager)
            jobs.import_job_run(pk=job.pk)
        job = ImportJob.objects.get(pk=job.pk)
        assert job.status == "done", job.message
        saved = LoanLedgerSnapshot.objects.filter(
            contract__contract_no__startswith="BENCHBIG", is_latest=True
        )
        assert saved.count() == BIG_ROWS
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    name = "ledger_import_1_5m" if BIG_ROWS == 1_500_000 else f"ledger_import_big_{BIG_ROWS // 1000}k"
    figure = common.result(
        name,
        BIG_ROWS / watch.seconds,
        "rows/s",
        "none: django-import-export cannot take it (an .xlsx sheet holds 1,048,576 rows)",
        0,
        rows=BIG_ROWS,
        seconds=round(watch.seconds, 1),
        peak_mb=peak.mb,
        file_bytes=size,
        chunk_rows=settings.LEDGER_IMPORT_CHUNK_ROWS,
        path="import job (CSV, contracts created)",
    )
    print(f"  {figure}", flush=True)
    return figure


def run() -> list[dict]:
    import tablib

    from loanportal.models import User
    from repayment_relief.ledger_import import LedgerImportRejected, ledger_import
    from repayment_relief.models import LoanLedgerSnapshot
    from repayment_relief.resources import LedgerSnapshotResource

    context = common.demo_context()
    bank = next(u for u in context["users"].values() if u.role == "bank_officer")
    bank = User.objects.get(pk=bank.pk)
    figures = [_big_figure(bank)] if BIG_ROWS else []
    contracts, ids = _contracts(ROWS)
    data = build_workbook(contracts, ids)
    bad = build_workbook(contracts, ids, bad_last_row=True)
    saved = LoanLedgerSnapshot.objects.filter(contract__contract_no__startswith="BENCHLG")

    _clear()
    with common.stopwatch() as ours, rss_growth() as peak:
        batch = ledger_import(actor=bank, file=_named(data, "bench-ledger.xlsx"))
    assert batch.row_count == ROWS and saved.filter(is_latest=True).count() == ROWS
    print(f"  ours: {ROWS / ours.seconds:.0f} rows/s, {ours.seconds:.1f} s, peak {peak.mb} MB", flush=True)

    tracemalloc.start()
    with common.stopwatch() as refused:
        try:
            ledger_import(actor=bank, file=_named(bad, "bench-ledger-bad.xlsx"))
        except LedgerImportRejected as exc:
            assert [e["row"] for e in exc.errors] == [ROWS + 1], exc.errors[:3]
        else:
            raise AssertionError("a ledger with a bad row was imported")
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    all_or_nothing = saved.count() == ROWS
    print(
        f"  refused file (traced): {refused.seconds:.1f} s, traced peak {traced_peak / 1024 / 1024:.1f} MB",
        flush=True,
    )
    _clear()

    with common.stopwatch() as baseline:
        dataset = tablib.Dataset().load(data, format="xlsx")
        outcome = LedgerSnapshotResource().import_data(
            dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
        )
    assert not outcome.has_errors() and not outcome.has_validation_errors()
    assert saved.filter(is_latest=True).count() == ROWS
    _clear()

    figures.insert(
        0,
        common.result(
            f"ledger_import_{ROWS // 1000}k",
            ROWS / ours.seconds,
            "rows/s",
            "django-import-export import_data (LedgerSnapshotResource, same file)",
            ROWS / baseline.seconds,
            rows=ROWS,
            seconds=round(ours.seconds, 2),
            baseline_seconds=round(baseline.seconds, 2),
            peak_mb=peak.mb,
            traced_peak_mb=round(traced_peak / 1024 / 1024, 1),
            rejected_file_seconds_traced=round(refused.seconds, 2),
            all_or_nothing=all_or_nothing,
            file_bytes=len(data),
            target_ratio=20,
        ),
    )
    return figures
