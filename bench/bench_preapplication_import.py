"""preapplication_import_10k: a 10,000-row pre-application list imported with full validation (notice 三(六));
preapplication_import_100k: a 100,000-row list imported as a background job with progress.

Ours: applications.services.preapplications.pre_application_import through the one import path
(loanportal.imports: checks before parsing, python-calamine reading, header matching, every row checked
while the checked ones are COPied (the (year, ID) uniqueness is the table's constraint), one query for
registered students, one transaction, one audit row). Baseline: django-import-export's default `import_data`
with applications.resources.PreApplicationResource on the same file in the same run (tablib loads the xlsx;
row by row: instance lookup, model full_clean with the (year, ID) constraint, save), dry_run=False,
use_transactions=True and rollback_on_validation_errors=True so that it is all-or-nothing as well.
Ours runs 5 times (median reported), the baseline once; every run starts from an empty list and must end
with every row saved; ours is also run once with one bad row at the end, which must save nothing.

The 100k job runs in a forked child process (a background worker, as a Celery job would) reporting progress
every 1,000 rows; the figure is its rows/s, with the peak memory the job added (VmHWM − VmRSS at its start)
and the progress samples. BENCH_PREAPPLICATION_100K=0 skips it.
"""

import io
import os
import statistics
from datetime import date, timedelta

from . import common

ROWS = int(os.environ.get("BENCH_PREAPPLICATION_ROWS", "10000"))
ROWS_JOB = int(os.environ.get("BENCH_PREAPPLICATION_100K", "100000"))
# Ours is cheap: the median of 5 runs (this machine's timings vary by ±20 %); the baseline runs once.
REPEATS = 5
YEAR = 2099  # a loan year nothing else in the bench database uses


def build_workbook(county, rows: int, *, bad_last_row: bool = False) -> bytes:
    from openpyxl import Workbook

    from applications.models import PreApplicationBasis
    from applications.rules.preapplications import HEADERS
    from loanportal.demo import make_id_number

    bases = [choice.label for choice in PreApplicationBasis]
    schools = ("榆中县第一中学", "榆中县第二中学", "榆中县职业中等专业学校")
    workbook = (
        Workbook()
    )  # shared strings, as Excel and WPS write them (write_only mode writes inline strings)
    sheet = workbook.active
    sheet.title = "预申请名单"
    sheet.append(list(HEADERS))
    for i in range(rows):
        birth = (date(2007, 1, 1) + timedelta(days=i // 1000)).strftime("%Y%m%d")
        id_number = make_id_number(county.code, birth, i % 1000)
        if bad_last_row and i == rows - 1:
            id_number = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
        sheet.append(
            [f"学生{i:05d}", id_number, bases[i % 6], county.code, schools[i % 3], f"138{i:08d}", ""]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _clear():
    from applications.models import PreApplication, PreApplicationImport

    PreApplication.objects.filter(year=YEAR).delete()
    PreApplicationImport.objects.filter(year=YEAR).delete()


def _named(data: bytes, name: str):
    buffer = io.BytesIO(data)
    buffer.name = name
    buffer.size = len(data)
    return buffer


def run() -> list[dict]:
    import tablib

    from applications.models import PreApplication
    from applications.resources import PreApplicationResource
    from applications.services.preapplications import PreApplicationImportRejected, pre_application_import

    context = common.demo_context()
    county = context["counties"][0]
    actor = context["users"]["county1_staff"]
    data = build_workbook(county, ROWS)
    bad = build_workbook(county, ROWS, bad_last_row=True)
    common.settle_database()

    timings = []
    for attempt in range(REPEATS):
        _clear()
        with common.stopwatch() as ours:
            batch = pre_application_import(
                actor=actor, county=county, year=YEAR, file=_named(data, f"bench-{attempt}.xlsx")
            )
        assert PreApplication.objects.filter(batch=batch).count() == ROWS
        timings.append(ours.seconds)
    _clear()
    ours_seconds = statistics.median(timings)

    with common.stopwatch() as refused:
        try:
            pre_application_import(actor=actor, county=county, year=YEAR, file=_named(bad, "bench-bad.xlsx"))
        except PreApplicationImportRejected as exc:
            assert [e["row"] for e in exc.errors] == [ROWS + 1]
        else:
            raise AssertionError("a list with a bad row was imported")
    all_or_nothing = not PreApplication.objects.filter(year=YEAR).exists()
    _clear()

    with common.stopwatch() as baseline:
        dataset = tablib.Dataset().load(data, format="xlsx")
        resource = PreApplicationResource(county=county, year=YEAR, actor=actor)
        outcome = resource.import_data(
            dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
        )
    assert not outcome.has_errors() and not outcome.has_validation_errors()
    assert PreApplication.objects.filter(year=YEAR).count() == ROWS
    _clear()

    results = [
        common.result(
            "preapplication_import_10k",
            ROWS / ours_seconds,
            "rows/s",
            "django-import-export import_data (PreApplicationResource, same file)",
            ROWS / baseline.seconds,
            rows=ROWS,
            seconds=round(ours_seconds, 3),
            seconds_each=[round(t, 3) for t in timings],
            baseline_seconds=round(baseline.seconds, 3),
            rejected_list_seconds=round(refused.seconds, 3),
            all_or_nothing=all_or_nothing,
            file_bytes=len(data),
        )
    ]
    if ROWS_JOB:
        results.append(_job(county, actor, ROWS_JOB, ROWS / ours_seconds))
    return results


def _memory_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _job(county, actor, rows: int, rate_10k: float) -> dict:
    """Import `rows` rows in a forked child process (the background job), with progress; rows/s, peak MB."""
    import multiprocessing
    import time

    from django.db import connections

    from applications.models import PreApplication
    from applications.services.preapplications import pre_application_import

    data = build_workbook(county, rows)
    _clear()
    connections.close_all()  # the child opens its own connection
    receiver, sender = multiprocessing.Pipe(duplex=False)

    def work():
        start_rss = _memory_kb("VmRSS")
        samples = []
        started = time.perf_counter()

        def progress(done, total):
            samples.append((round(time.perf_counter() - started, 2), done, total))

        try:
            batch = pre_application_import(
                actor=actor,
                county=county,
                year=YEAR,
                file=_named(data, f"bench-{rows}.xlsx"),
                progress=progress,
            )
            seconds = time.perf_counter() - started
            sender.send(
                {
                    "seconds": seconds,
                    "batch": batch.pk,
                    "peak_mb": (_memory_kb("VmHWM") - start_rss) / 1024,
                    "samples": samples,
                }
            )
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            sender.send({"error": repr(exc)})
        finally:
            connections.close_all()

    process = multiprocessing.get_context("fork").Process(target=work)
    process.start()
    outcome = receiver.recv()
    process.join()
    if "error" in outcome:
        raise AssertionError(f"the {rows}-row job failed: {outcome['error']}")
    saved = PreApplication.objects.filter(batch_id=outcome["batch"]).count()
    assert saved == rows, f"{saved} of {rows} rows saved"
    _clear()
    samples = outcome["samples"]
    return common.result(
        f"preapplication_import_{rows // 1000}k",
        rows / outcome["seconds"],
        "rows/s",
        "the 10k import of the same run (rows/s)",
        rate_10k,
        rows=rows,
        seconds=round(outcome["seconds"], 2),
        peak_mb=round(outcome["peak_mb"], 1),
        progress_reports=len(samples),
        progress_first_last=[samples[0], samples[-1]] if samples else [],
        file_bytes=len(data),
    )
