"""Issue 12: the relief-money API (scoped, 400/403/404/409) and the spreadsheets (附件6, the disbursement
list) in the forms' layout."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from deadlines.services import calendar_run
from loanportal.exports.registry import definition_get
from loanportal.exports.writer import Watermark, write_export
from loanportal.roles import Role
from repayment_relief import bank_amounts
from repayment_relief.ledger_import import ledger_workbook
from repayment_relief.models import BankAmountStatus, DisbursementBatch, FundEntry

from .factories import UserFactory
from .factories_relief_money import batch_received, fund, handed_over_case

pytestmark = pytest.mark.django_db
day = datetime.date


@pytest.fixture
def setup(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    other = handed_over_case(world, category="4", batch=batch, county=world.county3)
    calendar_run(as_of=day(2026, 3, 20))
    return world, case, other


def test_issue12_api_bank_enters_province_accepts_or_returns(setup, api_for):
    world, case, _ = setup
    contract = case.contracts.get()
    bank = api_for(world.users.bank_officer)
    body = {
        "case": case.pk,
        "contract": contract.pk,
        "principal": "24000.00",
        "interest": "168.10",
        "overdue_principal": "0",
        "overdue_interest": "0",
        "penalty": "0",
    }
    created = bank.post("/api/v1/bank-amounts/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    interest = next(c for c in data["comparison"] if c["part"] == "interest")
    assert interest["portal"] == "168.00" and interest["difference"] == "0.10"
    assert data["cutoff"] == "2026-03-20"
    line = data["id"]
    province = api_for(world.users.province_officer)
    assert province.post(f"/api/v1/bank-amounts/{line}/return/", {}, format="json").status_code == 400
    returned = province.post(
        f"/api/v1/bank-amounts/{line}/return/", {"question": "利息多0.10"}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == BankAmountStatus.RETURNED
    assert province.post(f"/api/v1/bank-amounts/{line}/accept/", {}, format="json").status_code == 409
    assert bank.post(f"/api/v1/bank-amounts/{line}/accept/", {}, format="json").status_code == 403
    # the county of another case never sees this line
    county3 = UserFactory(username="c3m", role=Role.COUNTY_MANAGER, organisation=world.county3)
    assert api_for(county3).get(f"/api/v1/bank-amounts/{line}/").status_code == 404
    assert api_for(world.users.county1_staff).get(f"/api/v1/bank-amounts/{line}/").status_code == 200
    hostile = bank.post("/api/v1/bank-amounts/", {**body, "principal": "-1"}, format="json")
    assert hostile.status_code == 400
    assert bank.post("/api/v1/bank-amounts/", {**body, "case": 999999}, format="json").status_code == 404


def test_issue12_api_funds_and_disbursements(setup, api_for):
    world, case, _ = setup
    for line_case in (case,):
        line = bank_amounts.bank_amount_enter(
            actor=world.users.bank_officer,
            case=line_case,
            contract=line_case.contracts.get(),
            values={"principal": "1000.00"},
        )
        bank_amounts.bank_amount_accept(actor=world.users.province_officer, line=line)
    province = api_for(world.users.province_officer)
    returned = province.post(
        "/api/v1/relief-funds/returns/",
        {"amount": "5000.00", "document": "收据1", "borrower_name": "张三"},
        format="json",
    )
    assert returned.status_code == 201, returned.json()
    accounts = province.get("/api/v1/relief-funds/").json()
    reserve = accounts["results"][0] if "results" in accounts else accounts[0]
    assert reserve["balance"] == "5000.00"
    entries = province.get(f"/api/v1/relief-funds/{reserve['id']}/entries/").json()
    assert (entries.get("results") if isinstance(entries, dict) else entries)[0]["document"] == "收据1"
    assert api_for(world.users.county1_staff).get(f"/api/v1/relief-funds/{reserve['id']}/").status_code == 404

    preview = province.get("/api/v1/disbursements/preview/").json()
    assert [row["case_no"] for row in preview["paid"]] == [case.case_no]
    created = province.post("/api/v1/disbursements/", {"year": 2026}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (
        province.post(f"/api/v1/disbursements/{pk}/approve/", {"document": "x"}, format="json").status_code
        == 403
    )
    manager = api_for(world.users.province_manager)
    approved = manager.post(f"/api/v1/disbursements/{pk}/approve/", {"document": "划付1号"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = manager.post(f"/api/v1/disbursements/{pk}/approve/", {"document": "划付1号"}, format="json")
    assert again.status_code == 409
    bank = api_for(world.users.bank_officer)
    confirmed = bank.post(f"/api/v1/disbursements/{pk}/confirm/", {}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert FundEntry.objects.filter(kind="payment").count() == 1


def test_issue12_api_ledger_import_row_errors_400(world, api_for):
    data = ledger_workbook(
        [
            [
                "GS1",
                world.students.c1_u1.id_number,
                "",
                "",
                "",
                "2026-02-30",
                "2025-12-20",
                "100.00",
                "0.00",
                "2024-12-21:3.05",
                "",
                "2027-12-20:100.00",
            ]
        ]
    )
    upload = io.BytesIO(data)
    upload.name = "台账.xlsx"
    response = api_for(world.users.bank_officer).post(
        "/api/v1/ledger-imports/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["batch"] and {e["header"] for e in body["errors"]} >= {"台账日期"}
    assert api_for(world.users.county1_staff).get("/api/v1/ledger-imports/").status_code == 403


def test_issue12_annex6_and_disbursement_list_in_the_forms_layout(setup, tmp_path):
    world, case, other = setup
    for c, interest in ((case, "168.00"), (other, "168.50")):
        line = bank_amounts.bank_amount_enter(
            actor=world.users.bank_officer,
            case=c,
            contract=c.contracts.get(),
            values={"principal": "24000.00" if c is case else "0", "interest": interest},
        )
        bank_amounts.bank_amount_accept(actor=world.users.province_officer, line=line)
    fund(world, reserve="50000")
    from repayment_relief.disbursements import disbursement_prepare

    batch = disbursement_prepare(actor=world.users.province_officer, year=2026)
    mark = Watermark(number="T1", title="t", requester="r", approver="a", generated_at=timezone.now())
    annex6 = definition_get("relief_att6")
    path = tmp_path / "a6.xlsx"
    assert (
        write_export(
            # a form-layout definition reads (user, params) itself (writer.write_export)
            annex6,
            (world.users.province_officer, {}),
            path=path,
            watermark=mark,
        )
        == 2
    )
    sheet = load_workbook(path).worksheets[0]
    text = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert "国家开发银行生源地助学贷款还款救助资金明细表" in text[0][0]
    assert any("差额（银行−门户）" in row for row in text)
    differences = [row for row in sheet.iter_rows(values_only=True) if row and row[2] == other.borrower.name]
    assert float(differences[0][-2]) == 0.5
    listing = definition_get("relief_disbursement")
    path = tmp_path / "list.xlsx"
    rows = (world.users.province_officer, {"batch": str(batch.pk)})
    assert write_export(listing, rows, path=path, watermark=mark) == 2
    assert DisbursementBatch.objects.count() == 1


def test_issue12_annex6_import_all_or_nothing(setup):
    """The bank's 附件6 spreadsheet: a line of a contract that is not the case's refuses the whole file."""
    from openpyxl import Workbook

    from repayment_relief.bank_amounts import IMPORT_TEMPLATE, bank_amounts_import
    from repayment_relief.models import BankAmount

    world, case, other = setup

    def upload(rows):
        book = Workbook()
        book.active.append(list(IMPORT_TEMPLATE.headers))
        for r in rows:
            book.active.append(r)
        buffer = io.BytesIO()
        book.save(buffer)
        buffer.seek(0)
        buffer.name = "附件6.xlsx"
        buffer.size = len(buffer.getvalue())
        return buffer

    good = [
        case.case_no,
        case.contracts.get().contract_no,
        "",
        "24000.00",
        "168.00",
        "0",
        "0",
        "0",
        "24168.00",
    ]
    wrong = [other.case_no, case.contracts.get().contract_no, "", "0", "168.00", "0", "0", "0", ""]
    with pytest.raises(bank_amounts.DomainError):
        bank_amounts_import(actor=world.users.bank_officer, file=upload([good, wrong]))
    assert not BankAmount.objects.exists()
    assert bank_amounts_import(actor=world.users.bank_officer, file=upload([good])) == 1
    assert BankAmount.objects.get().total == 24168
