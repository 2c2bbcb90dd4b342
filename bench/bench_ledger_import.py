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
"""

import io
import os
import random

from . import common

ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", "100000"))
SEED = 20261201


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


def build_workbook(contracts, id_numbers, *, bad_last_row: bool = False) -> bytes:
    from openpyxl import Workbook

    from repayment_relief.ledger_import import HEADERS

    rng = random.Random(SEED)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "贷款台账"
    sheet.append(list(HEADERS))
    for i, (contract_no, id_number) in enumerate(zip(contracts, id_numbers, strict=True)):
        overdue = rng.random() < 0.35
        each = rng.randint(10, 40) * 100
        schedule = f"2026-12-20:{each}.00；2027-12-20:{each}.00；2028-09-20:{each}.00"
        outstanding = each * 3 + (each if overdue else 0)
        row = [
            contract_no,
            id_number,
            "",
            "",
            "",
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
        if bad_last_row and i == len(contracts) - 1:
            row[7] = "1.00"  # the schedule no longer adds up
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


def run() -> list[dict]:
    import tablib

    from loanportal.models import User
    from repayment_relief.ledger_import import LedgerImportRejected, ledger_import
    from repayment_relief.models import LoanLedgerSnapshot
    from repayment_relief.resources import LedgerSnapshotResource

    context = common.demo_context()
    bank = next(u for u in context["users"].values() if u.role == "bank_officer")
    bank = User.objects.get(pk=bank.pk)
    contracts, ids = _contracts(ROWS)
    data = build_workbook(contracts, ids)
    bad = build_workbook(contracts, ids, bad_last_row=True)
    saved = LoanLedgerSnapshot.objects.filter(contract__contract_no__startswith="BENCHLG")

    _clear()
    with common.stopwatch() as ours:
        batch = ledger_import(actor=bank, file=_named(data, "bench-ledger.xlsx"))
    assert batch.row_count == ROWS and saved.filter(is_latest=True).count() == ROWS

    with common.stopwatch() as refused:
        try:
            ledger_import(actor=bank, file=_named(bad, "bench-ledger-bad.xlsx"))
        except LedgerImportRejected as exc:
            assert [e["row"] for e in exc.errors] == [ROWS + 1], exc.errors[:3]
        else:
            raise AssertionError("a ledger with a bad row was imported")
    all_or_nothing = saved.count() == ROWS
    _clear()

    with common.stopwatch() as baseline:
        dataset = tablib.Dataset().load(data, format="xlsx")
        outcome = LedgerSnapshotResource().import_data(
            dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
        )
    assert not outcome.has_errors() and not outcome.has_validation_errors()
    assert saved.filter(is_latest=True).count() == ROWS
    _clear()

    return [
        common.result(
            f"ledger_import_{ROWS // 1000}k",
            ROWS / ours.seconds,
            "rows/s",
            "django-import-export import_data (LedgerSnapshotResource, same file)",
            ROWS / baseline.seconds,
            rows=ROWS,
            seconds=round(ours.seconds, 2),
            baseline_seconds=round(baseline.seconds, 2),
            rejected_file_seconds=round(refused.seconds, 2),
            all_or_nothing=all_or_nothing,
            file_bytes=len(data),
            target_ratio=20,
        )
    ]
