"""Loan ledger (contracts, snapshots), the relief parameters of the loan year, the `relief_amount` command and
/api/v1/loan-contracts/ (relief measures art. 21(二), art. 18; RELIEF-AMOUNTS.md)."""

import contextlib
import copy
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from applications.models import LoanPolicy
from applications.services import lifecycle as policy_services
from loanportal.models import AuditEvent
from repayment_relief import selectors, services
from repayment_relief.ledger import LedgerError, ledger_parse
from repayment_relief.models import LoanContract, LoanLedgerSnapshot

from .test_relief_amounts import CONTRACT_A, CONTRACT_B, fen

pytestmark = pytest.mark.django_db
D = Decimal


def run_command(tmp_path, ledgers, *args) -> tuple[int, str, str]:
    """Run `manage.py relief_amount` as from the shell: (exit status, stdout, stderr)."""
    path = tmp_path / "ledger.json"
    path.write_text(ledgers if isinstance(ledgers, str) else json.dumps(ledgers), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            execute_from_command_line(["manage.py", "relief_amount", "--ledger", str(path), *args])
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


# --- the command ------------------------------------------------------------------------------------


def test_art_21_2_command_prints_the_page_json(tmp_path):
    status, out, _ = run_command(
        tmp_path, [CONTRACT_A, CONTRACT_B], "--category", "2", "--received", "2026-12-28"
    )
    assert status == 0
    body = json.loads(out)
    assert list(body) == ["cutoff", "contracts", "total"]
    assert body["cutoff"] == "2027-01-20"
    b = body["contracts"][1]
    assert b == {
        "contract_no": "GS2021-0107",
        "principal": "8000.00",
        "interest": "17.91",
        "overdue_principal": "8000.00",
        "overdue_interest": "640.67",
        "penalty": "167.39",
        "total": "16825.97",
    }
    # Contract A through 20 Jan 2027, by hand: 20 Dec 2026 (< C) makes 21 Dec 2025 – 20 Dec 2026 overdue:
    # 365 days × 24,000 × 2.80 % / 360 = 681.333… → 681.33 (A's first instalment is in 2031, so no
    # principal falls due); then 21 Dec – 20 Jan, 31 days × 24,000 × 2.80 % / 360 = 57.866… → 57.87;
    # the penalty runs those 31 days on the 681.33.
    a = body["contracts"][0]
    penalty = fen(D("681.33") * D("0.028") * D("1.3") * 31 / 360)
    assert a["overdue_interest"] == "681.33" and a["interest"] == "57.87" and a["penalty"] == str(penalty)
    assert D(body["total"]) == D(a["total"]) + D(b["total"])


def test_art_21_2_command_refuses_a_due_day_before_the_ledger_date(tmp_path):
    ledger = {**CONTRACT_A, "as_of": "2026-12-25"}  # 20 Dec 2026 fell due after the settlement, unsettled
    status, out, err = run_command(tmp_path, [ledger], "--category", "1", "--received", "2027-01-05")
    assert status == 1 and out == ""
    assert "结息日 2026-12-20 在利息结算日 2025-12-20 之后、台账日期 2026-12-25 之前" in err


def test_art_21_2_command_refuses_an_instalment_before_the_ledger_date(tmp_path):
    ledger = {**CONTRACT_A, "schedule": [{"due": "2026-03-01", "principal": "24000.00"}]}
    status, _, err = run_command(tmp_path, [ledger], "--category", "1", "--received", "2026-03-12")
    assert status == 1 and "到期日 2026-03-01" in err


@pytest.mark.parametrize(
    ("ledgers", "args", "message"),
    [
        ([CONTRACT_B], ["--category", "6", "--received", "2026-12-28"], "救助类别应为 1–5"),
        ([CONTRACT_B], ["--category", "1", "--received", "2026-02-30"], "--received 应为 YYYY-MM-DD"),
        ("[{", ["--category", "1", "--received", "2026-12-28"], "不是有效的 JSON（第1行"),
        ({"contract_no": "x"}, ["--category", "1", "--received", "2026-12-28"], "JSON 列表"),
        ([CONTRACT_B], ["--category", "1", "--received", "2026-10-01"], "晚于计算截止日 2026-10-20"),
        (
            [{**CONTRACT_B, "penalty_accrued": "abc"}],
            ["--category", "1", "--received", "2026-12-28"],
            "已计罚息",
        ),
    ],
)
def test_art_21_2_command_bad_input_exit_status_1(tmp_path, ledgers, args, message):
    status, out, err = run_command(tmp_path, ledgers, *args)
    assert status == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_art_21_2_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="找不到台账文件") as raised:
        call_command("relief_amount", ledger=str(tmp_path / "none.json"), category="1", received="2026-12-28")
    assert raised.value.returncode == 1


def test_art_21_2_command_reads_the_loan_years_parameters(world, tmp_path):
    policy = policy_services.loan_policy_for(2026)
    policy_services.loan_policy_update(
        actor=world.users.province_manager, policy=policy, reason="银行调整罚息", penalty_factor=D("1.50")
    )
    status, out, _ = run_command(tmp_path, [CONTRACT_B], "--category", "5", "--received", "2026-11-03")
    assert status == 0
    # RELIEF-AMOUNTS.md B/5 with 150 % instead of 130 %: 120.50 + 4,300 × 2.80 % × 1.5 × 50 / 360
    penalty = fen(D("120.50") + D(4300) * D("0.028") * D("1.5") * 50 / 360)
    assert json.loads(out)["contracts"][0]["penalty"] == str(penalty) == "145.58"


# --- the parameters of the loan year ---------------------------------------------------------------


def test_art_21_2_relief_parameters_default_and_audited_edit(world):
    policy = policy_services.loan_policy_for(2027)
    assert (policy.penalty_factor, policy.day_basis, policy.settlement_month, policy.settlement_day) == (
        D("1.30"),
        360,
        12,
        20,
    )
    policy_services.loan_policy_update(
        actor=world.users.province_manager, policy=policy, reason="按银行通知", day_basis=365
    )
    event = AuditEvent.objects.get(action="loan_policy.update")
    assert event.old == {"day_basis": 360} and event.new == {"day_basis": 365}
    # a cutoff in loan year 2027 (January–March belong to the previous loan year: one loan year function)
    params = selectors.relief_parameters_for(
        cutoff=ledger_parse(CONTRACT_A).as_of.replace(year=2027, month=8)
    )
    assert params.day_basis == 365 and params.penalty_factor == D("1.30")


def test_art_21_2_relief_parameters_without_a_policy_row_read_the_defaults(db):
    params = selectors.relief_parameters_for(cutoff=ledger_parse(CONTRACT_A).as_of.replace(year=2031))
    assert (params.penalty_factor, params.day_basis, params.settlement_month, params.settlement_day) == (
        D("1.30"),
        360,
        12,
        20,
    )
    assert not LoanPolicy.objects.filter(year=2031).exists()


def test_art_21_2_relief_parameters_validated(world):
    from django.core.exceptions import ValidationError

    policy = policy_services.loan_policy_for(2026)
    with pytest.raises(ValidationError) as raised:
        policy_services.loan_policy_update(
            actor=world.users.province_manager,
            policy=policy,
            reason="错误",
            settlement_month=2,
            settlement_day=30,
        )
    assert "2月没有30日" in str(raised.value)


def test_art_21_2_relief_parameters_on_page_and_api(world, client_for, api_for):
    policy_services.loan_policy_for(2026)
    page = client_for(world.users.province_manager).get("/parameters/2026/edit/").content.decode()
    assert "罚息倍数" in page and "计息天数基数" in page and "结息还款日" in page
    api = api_for(world.users.province_manager)
    response = api.patch(
        "/api/v1/loan-policies/2026/", {"penalty_factor": "1.40", "reason": "银行通知调整"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["penalty_factor"] == "1.40"
    assert LoanPolicy.objects.get(year=2026).penalty_factor == D("1.40")
    bad = api.patch("/api/v1/loan-policies/2026/", {"day_basis": 100, "reason": "错误"}, format="json")
    assert bad.status_code == 400
    officer = api_for(world.users.bank_officer).patch(
        "/api/v1/loan-policies/2026/", {"penalty_factor": "2.00", "reason": "越权"}, format="json"
    )
    assert officer.status_code == 403
    assert LoanPolicy.objects.get(year=2026).penalty_factor == D("1.40")


# --- contracts and snapshots ----------------------------------------------------------------------------


def make_contract(world, student, contract_no="GS2021-0107", school_year=2021):
    return services.loan_contract_create(
        actor=world.users.bank_officer,
        contract_no=contract_no,
        borrower=student,
        county=student.household_county,
        principal=D("16000.00"),
        school_year=school_year,
    )


def test_issue12_ledger_one_contract_per_borrower_per_school_year(world):
    make_contract(world, world.students.c1_u1)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="该学生该学年已有借款合同"):
        make_contract(world, world.students.c1_u1, contract_no="GS2021-0999")
    make_contract(world, world.students.c1_u1, contract_no="GS2022-0107", school_year=2022)


def test_issue12_ledger_newer_snapshot_replaces_older_history_kept(world):
    contract = make_contract(world, world.students.c1_u1)
    older = ledger_parse({**CONTRACT_B, "as_of": "2026-06-30"})
    newer = ledger_parse(CONTRACT_B)
    first = services.ledger_snapshot_record(contract=contract, ledger=older)
    second = services.ledger_snapshot_record(contract=contract, ledger=newer)
    late_old = services.ledger_snapshot_record(contract=contract, ledger=older)  # arrives late: history only
    first.refresh_from_db()
    assert [first.is_latest, second.is_latest, late_old.is_latest] == [False, True, False]
    assert contract.ledger_snapshots.count() == 3
    assert second.to_ledger() == newer  # stored and read back field for field
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanLedgerSnapshot.objects.filter(pk=first.pk).update(is_latest=True)


def test_issue12_ledger_snapshot_must_match_the_contract(world):
    contract = make_contract(world, world.students.c1_u1, contract_no="OTHER-1")
    with pytest.raises(LedgerError, match="不符"):
        services.ledger_snapshot_record(contract=contract, ledger=ledger_parse(CONTRACT_B))


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("province_officer", {"GS-C1", "GS-C2", "GS-C3"}),
        ("bank_officer", {"GS-C1", "GS-C2", "GS-C3"}),
        ("city1_manager", {"GS-C1", "GS-C2"}),
        ("county1_staff", {"GS-C1"}),
        ("county3_staff", {"GS-C3"}),
        ("university1_officer", {"GS-C1", "GS-C3"}),
        ("university4_officer", set()),
    ],
)
def test_issue12_ledger_contracts_scoped(world, api_for, role, visible):
    make_contract(world, world.students.c1_u1, "GS-C1")
    make_contract(world, world.students.c2_u2, "GS-C2")
    make_contract(world, world.students.c3_u1, "GS-C3")
    user = getattr(world.users, role)
    assert {c.contract_no for c in selectors.loan_contracts_visible_to(user=user)} == visible
    body = api_for(user).get("/api/v1/loan-contracts/").json()
    assert {row["contract_no"] for row in body["results"]} == visible
    outside = LoanContract.objects.exclude(contract_no__in=visible).first()
    if outside is not None:
        assert api_for(user).get(f"/api/v1/loan-contracts/{outside.pk}/").status_code == 404


def test_issue12_ledger_api_detail_with_latest_snapshot_and_amount(
    world, api_for, django_assert_max_num_queries
):
    contract = make_contract(world, world.students.c1_u1)
    services.ledger_snapshot_record(
        contract=contract, ledger=ledger_parse({**CONTRACT_B, "as_of": "2026-06-30"})
    )
    services.ledger_snapshot_record(contract=contract, ledger=ledger_parse(CONTRACT_B))
    api = api_for(world.users.bank_officer)
    plain = api.get(f"/api/v1/loan-contracts/{contract.pk}/").json()
    assert plain["latest_snapshot"]["as_of"] == "2026-10-31" and plain["amount"] is None
    assert plain["borrower_id_number"].count("*") == 11
    body = api.get(f"/api/v1/loan-contracts/{contract.pk}/?category=3&received=2026-12-28").json()
    assert body["amount"] == {
        "cutoff": "2027-01-20",
        "category": "3",
        "principal": "4000.00",
        "interest": "17.91",
        "overdue_principal": "8000.00",
        "overdue_interest": "640.67",
        "penalty": "167.39",
        "total": "12825.97",
    }
    refused = api.get(f"/api/v1/loan-contracts/{contract.pk}/?category=1&received=2026-10-01").json()
    assert "晚于计算截止日" in refused["amount"]["error"]
    for i in range(5):
        other = make_contract(world, world.students.c2_u2, f"GS-X{i}", school_year=2010 + i)
        services.ledger_snapshot_record(
            contract=other, ledger=ledger_parse({**copy.deepcopy(CONTRACT_B), "contract_no": f"GS-X{i}"})
        )
    with django_assert_max_num_queries(8):
        listing = api.get("/api/v1/loan-contracts/?category=2&received=2026-12-28").json()
    assert listing["count"] == 6 and all(row["amount"]["total"] == "16825.97" for row in listing["results"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=9&received=2026-12-28", "救助类别"),
        ("category=1&received=2026-13-01", "received 应为 YYYY-MM-DD"),
        ("category=1", "同时提供"),
    ],
)
def test_issue12_ledger_api_bad_amount_query_is_400(world, api_for, query, message):
    response = api_for(world.users.province_officer).get(f"/api/v1/loan-contracts/?{query}")
    assert response.status_code == 400 and message in response.json()["detail"]


def test_issue12_ledger_api_in_openapi_schema_and_read_only(world, api_for):
    api = api_for(world.users.province_manager)
    schema = api.get("/api/schema/?format=json").json()
    assert "/api/v1/loan-contracts/" in schema["paths"] and "/api/v1/loan-contracts/{id}/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/loan-contracts/"]["get"]["parameters"]}
    assert {"category", "received"} <= parameters
    assert set(schema["paths"]["/api/v1/loan-contracts/"]) == {"get"}
    assert api.post("/api/v1/loan-contracts/", {}, format="json").status_code == 405


def test_issue12_ledger_admin_read_only_and_scoped(world, client_for):
    contract = make_contract(world, world.students.c1_u1)
    services.ledger_snapshot_record(contract=contract, ledger=ledger_parse(CONTRACT_B))
    admin_user = world.users.county3_staff
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = client_for(admin_user)
    assert client.get(f"/admin/repayment_relief/loancontract/{contract.pk}/change/").status_code in (302, 404)
    province = world.users.province_manager
    province.is_staff = province.is_superuser = True
    province.save()
    client = client_for(province)
    page = client.get(f"/admin/repayment_relief/loancontract/{contract.pk}/change/")
    assert page.status_code == 200 and "GS2021-0107" in page.content.decode()
    assert client.get("/admin/repayment_relief/loancontract/add/").status_code == 403
