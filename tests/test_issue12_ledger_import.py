"""Issue 12: the bank's ledger spreadsheet (贷款台账) through the one import path, all-or-nothing."""

import io

import pytest

from loanportal.errors import PermissionDeniedError
from loanportal.models import AuditEvent
from repayment_relief.ledger_import import LedgerImportRejected, ledger_import, ledger_workbook
from repayment_relief.models import LedgerImport, LoanContract, LoanLedgerSnapshot

pytestmark = pytest.mark.django_db


def upload(rows, name="台账.xlsx"):
    data = ledger_workbook(rows)
    buffer = io.BytesIO(data)
    buffer.name = name
    buffer.size = len(data)
    return buffer


def row(contract_no, student, *, as_of="2026-03-10", outstanding="24000.00", county="620123", **over):
    values = {
        "contract_no": contract_no,
        "id_number": student.id_number,
        "county": county,
        "principal": "24000.00",
        "school_year": "2021",
        "as_of": as_of,
        "settled": "2025-12-20",
        "outstanding": outstanding,
        "penalty": "0.00",
        "rates": "2024-12-21:3.05；2025-12-21:2.80",
        "overdue": "",
        "schedule": "2031-12-20:4800.00；2032-12-20:4800.00；2033-12-20:4800.00；2034-12-20:4800.00；2035-09-20:4800.00",
    }
    values.update(over)
    return list(values.values())


def test_issue12_ledger_import_creates_contracts_and_latest_snapshots(world):
    s = world.students
    batch = ledger_import(
        actor=world.users.bank_officer,
        file=upload([row("GS2021-0001", s.c1_u1), row("GS2021-0002", s.c2_u2, county="620122")]),
    )
    assert batch.succeeded and batch.row_count == 2 and batch.contracts_created == 2
    contract = LoanContract.objects.get(contract_no="GS2021-0001")
    assert contract.borrower == s.c1_u1 and contract.county == world.county1
    snapshot = contract.ledger_snapshots.get()
    assert snapshot.is_latest and str(snapshot.outstanding_principal) == "24000.00"
    assert snapshot.rates == [
        {"from": "2024-12-21", "annual_rate": "3.05"},
        {"from": "2025-12-21", "annual_rate": "2.80"},
    ]
    assert snapshot.to_ledger().schedule[-1].due.isoformat() == "2035-09-20"
    assert AuditEvent.objects.filter(action="ledger_import.done", object_pk=str(batch.pk)).count() == 1


def test_issue12_newer_snapshot_replaces_older_history_kept(world):
    s = world.students
    bank = world.users.bank_officer
    ledger_import(actor=bank, file=upload([row("GS2021-0001", s.c1_u1)]))
    ledger_import(actor=bank, file=upload([row("GS2021-0001", s.c1_u1, as_of="2026-04-10")]))
    ledger_import(actor=bank, file=upload([row("GS2021-0001", s.c1_u1, as_of="2026-02-10")]))  # late, older
    snapshots = LoanLedgerSnapshot.objects.filter(contract__contract_no="GS2021-0001")
    assert snapshots.count() == 3
    assert [str(x.as_of) for x in snapshots.filter(is_latest=True)] == ["2026-04-10"]


def test_issue12_ledger_import_all_or_nothing_with_row_errors(world):
    s = world.students
    rows = [
        row("GS2021-0001", s.c1_u1),
        row("GS2021-0002", s.c2_u2, outstanding="20000.00"),  # schedule sums to 24,000
        row("GS2021-0001", s.c1_u1),  # duplicate contract
        row("GS2021-0003", s.c3_u1, as_of="2026-02-30"),
    ]
    with pytest.raises(LedgerImportRejected) as caught:
        ledger_import(actor=world.users.bank_officer, file=upload(rows))
    errors = caught.value.errors
    by_row = {(e["row"], e["header"]) for e in errors}
    assert (3, "还款计划") in by_row or (3, "未还本金") in by_row
    assert (4, "合同号") in by_row
    assert (5, "台账日期") in by_row
    assert all(e["column"] for e in errors if e["header"])
    assert not LoanContract.objects.exists() and not LoanLedgerSnapshot.objects.exists()
    batch = LedgerImport.objects.get()
    assert not batch.succeeded and len(batch.errors) == len(errors)


def test_issue12_ledger_import_refuses_other_borrower_and_unknown_student(world):
    s = world.students
    bank = world.users.bank_officer
    ledger_import(actor=bank, file=upload([row("GS2021-0001", s.c1_u1)]))
    from tests.factories import StudentFactory

    stranger = StudentFactory.build(household_county=world.county1)
    with pytest.raises(LedgerImportRejected) as caught:
        ledger_import(actor=bank, file=upload([row("GS2021-0001", s.c2_u2), row("GS2021-0009", stranger)]))
    messages = {(e["row"], e["header"]): e["message"] for e in caught.value.errors}
    assert "不符" in messages[(2, "借款人身份证号")]
    assert "尚未在系统中登记" in messages[(3, "借款人身份证号")]


def test_issue12_only_the_bank_imports_ledgers(world):
    with pytest.raises(PermissionDeniedError):
        ledger_import(actor=world.users.province_officer, file=upload([row("X", world.students.c1_u1)]))


def test_issue12_large_ledger_runs_as_an_import_job_with_progress(world, settings, tmp_path):
    """A province-size ledger is imported in the background (ImportJob kind "ledger") with its progress."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from loanportal.imports import jobs
    from loanportal.imports.models import ImportJob, ImportJobStatus

    settings.IMPORT_JOB_ROOT = str(tmp_path)
    settings.IMPORT_JOB_MIN_BYTES = 1
    s = world.students
    data = ledger_workbook([row("GS2021-0001", s.c1_u1), row("GS2021-0002", s.c2_u2, county="620122")])
    file = SimpleUploadedFile("台账.xlsx", data, content_type="application/octet-stream")
    assert jobs.import_job_wanted(file)
    job = jobs.import_job_create(
        actor=world.users.bank_officer, kind="ledger", organisation=world.bank, year=2026, file=file
    )
    jobs.import_job_run(pk=job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == ImportJobStatus.DONE and job.progress == 100
    assert "2 个合同" in job.message
    assert LoanLedgerSnapshot.objects.filter(is_latest=True).count() == 2
