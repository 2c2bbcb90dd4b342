"""Issue 9 check 2 at the import reports: a cell holding an ID number or a phone where something else was
expected is quoted in the row's error (“填写的是…”) — masked, in the stored report the uploader's colleagues
and the province read, as everywhere else. (The privacy scan, test_privacy_scan, found it.)"""

import json

import pytest

from renewals.renewal_import import RenewalImportRejected, renewal_import
from repayment_relief.ledger_import import LedgerImportRejected, ledger_import

from .test_issue10_renewal_import import row as renewal_row
from .test_issue10_renewal_import import xlsx
from .test_issue12_ledger_import import row as ledger_row
from .test_issue12_ledger_import import upload as ledger_upload


def test_issue9_renewal_report_masks_an_id_number_and_a_phone_typed_in_the_amounts(world):
    student, other = world.students.c1_u1, world.students.c3_u1
    bad = renewal_row(student, tuition=f"号{other.id_number}", accommodation="电话13912345678")
    with pytest.raises(RenewalImportRejected) as caught:
        renewal_import(actor=world.users.university1_officer, file=xlsx([bad]))
    report = json.dumps(caught.value.batch.errors, ensure_ascii=False)
    assert "填写的是" in report  # the cell is still quoted, so the clerk finds it
    assert other.id_number not in report and "13912345678" not in report
    assert f"{other.id_number[:3]}" in report and "139****5678" in report


def test_issue9_ledger_report_masks_a_phone_typed_in_a_date(world):
    bad = ledger_row("GS2021-0001", world.students.c1_u1, as_of="13912345678")
    with pytest.raises(LedgerImportRejected) as caught:
        ledger_import(actor=world.users.bank_officer, file=ledger_upload([bad]))
    report = json.dumps(caught.value.batch.errors, ensure_ascii=False)
    assert "13912345678" not in report and "139****5678" in report, report
