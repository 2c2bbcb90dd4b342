"""Issue 12 pages: who sees them, hostile input answered with a message or 404 (never 500), writes audited."""

import datetime

import pytest

from deadlines.services import calendar_run
from repayment_relief.models import BankAmount, FundAccount, FundEntry

from .factories_relief_money import batch_received, handed_over_case

pytestmark = pytest.mark.django_db
PAGES = ["/relief/bank-amounts/", "/relief/disbursements/"]


@pytest.mark.parametrize(
    "role, status",
    [("province_officer", 200), ("province_manager", 200), ("bank_officer", 200), ("county1_staff", 403)],
)
def test_issue12_pages_by_role(world, client_for, role, status):
    client = client_for(getattr(world.users, role))
    for url in PAGES:
        assert client.get(url).status_code == status, url
    funds_status = 200 if role.startswith("province") else 403
    assert client.get("/relief/funds/").status_code == funds_status
    ledger_status = 200 if role == "bank_officer" else 403
    assert client.get("/relief/ledger/import/").status_code == ledger_status


def test_issue12_hostile_input_never_500(world, client_for):
    batch = batch_received(world, received_on=datetime.date(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    calendar_run(as_of=datetime.date(2026, 3, 20))
    bank = client_for(world.users.bank_officer)
    contract = case.contracts.get()
    assert bank.post("/relief/bank-amounts/enter/", {"case": "x", "contract": "y"}).status_code == 404
    response = bank.post(
        "/relief/bank-amounts/enter/",
        {"case": case.pk, "contract": contract.pk, "principal": "NaN", "interest": "1e999"},
    )
    assert response.status_code == 302 and not BankAmount.objects.exists()
    response = bank.post(
        "/relief/bank-amounts/enter/",
        {"case": case.pk, "contract": contract.pk, "principal": "24000", "interest": "168"},
    )
    assert response.status_code == 302 and BankAmount.objects.get().total == 24168
    province = client_for(world.users.province_officer)
    assert province.post("/relief/funds/move/", {"account_kind": "nope", "amount": "1"}).status_code == 302
    assert (
        province.post("/relief/funds/move/", {"account_kind": "county_surplus", "county": "abc"}).status_code
        == 404
    )
    assert (
        province.post(
            "/relief/funds/move/", {"account_kind": "provincial_reserve", "amount": "-5", "document": "x"}
        ).status_code
        == 302
    )
    assert not FundEntry.objects.exists()
    province.post(
        "/relief/funds/move/", {"account_kind": "provincial_reserve", "amount": "100.00", "document": "甘1号"}
    )
    assert FundAccount.objects.get().balance == 100
    page = province.get("/relief/bank-amounts/")
    assert "差额" not in page.content.decode() or "table-danger" not in page.content.decode()


def test_issue12_money_admin_read_only_and_scoped(world, client_for):
    from repayment_relief import funds
    from repayment_relief.models import FundAccountKind

    funds.fund_deposit(
        actor=world.users.province_officer,
        account=funds.fund_account_ensure(kind=FundAccountKind.COUNTY_SURPLUS, county=world.county1),
        amount="10.00",
        document="甘1号",
    )
    staff = world.users.county3_staff
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = client_for(staff)
    for model in ("fundaccount", "fundentry", "bankamount", "disbursementbatch"):
        assert client.get(f"/admin/repayment_relief/{model}/").status_code == 200, model
    assert (
        "榆中" not in client.get("/admin/repayment_relief/fundaccount/").content.decode()
    )  # county1's account
    assert client.get("/admin/repayment_relief/fundaccount/add/").status_code == 403
