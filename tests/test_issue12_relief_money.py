"""Issue 12: relief money — the cutoff-day freeze, 附件6, the fund (第六–七条), priority (第十七条) and
disbursement batches (第二十二条), on PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlines.services import calendar_run
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent
from loanportal.roles import Role
from repayment_relief import bank_amounts, disbursements, funds, money_selectors, states
from repayment_relief.ledger import ledger_parse
from repayment_relief.models import (
    BankAmountStatus,
    DisbursementBatch,
    DisbursementStatus,
    FundAccount,
    FundAccountKind,
    FundEntry,
    ReliefAmountFreeze,
)
from repayment_relief.money_rules import Candidate, allocate, waterfall_split
from repayment_relief.services import ledger_snapshot_record

from .concurrency import race
from .factories import UserFactory
from .factories_relief_money import CONTRACT_A, batch_received, fund, handed_over_case

D = Decimal
day = datetime.date


def accept_bank_amounts(world, case, *, total_each=None):
    """The bank enters its lines equal to the portal's figure (or `total_each` as principal); the province accepts."""
    lines = []
    for contract in case.contracts.all():
        values = {"principal": total_each} if total_each else {"principal": "24000.00", "interest": "168.00"}
        line = bank_amounts.bank_amount_enter(
            actor=world.users.bank_officer, case=case, contract=contract, values=values
        )
        lines.append(bank_amounts.bank_amount_accept(actor=world.users.province_officer, line=line))
    return lines


# --- the cutoff-day freeze (第二十一条（二）) ----------------------------------------------------------


@pytest.mark.django_db
def test_issue12_article_21_freeze_job_on_cutoff_day_twice_and_late(world):
    """Received 2026-03-12 → cutoff 2026-03-20 (the 15th/20th rule). The daily job freezes on the cutoff day,
    a second run changes nothing, and a case whose job ran late gets the same figure (ledger by the cutoff)."""
    batch = batch_received(world, received_on=day(2026, 3, 12))
    on_time = handed_over_case(world, category="1", batch=batch)
    late_batch = batch_received(world, received_on=day(2026, 3, 12))
    calendar_run(as_of=day(2026, 3, 19))
    assert not ReliefAmountFreeze.objects.exists()

    calendar_run(as_of=day(2026, 3, 20))
    freeze = ReliefAmountFreeze.objects.get(case=on_time)
    assert freeze.cutoff == day(2026, 3, 20) and freeze.frozen_on == day(2026, 3, 20)
    # Contract A, category 1 (RELIEF-AMOUNTS.md): 24,000.00 + 90 days × 24,000 × 2.80% / 360 = 168.00
    assert (freeze.principal, freeze.interest, freeze.total) == (D("24000.00"), D("168.00"), D("24168.00"))

    calendar_run(as_of=day(2026, 3, 20))
    calendar_run(as_of=day(2026, 3, 21))
    assert ReliefAmountFreeze.objects.filter(case=on_time).count() == 1
    assert AuditEvent.objects.filter(action="relief_amount.freeze", object_pk=str(freeze.pk)).count() == 1

    # Late: the case's batch was received on 3/12 too; the job first runs for it on 4/5, after the bank sent
    # a newer ledger (4/1) — the frozen figure is still the one at the cutoff, from the ledger before it.
    late = handed_over_case(world, category="1", batch=late_batch)
    contract = late.contracts.get()
    ledger_snapshot_record(
        contract=contract,
        ledger=ledger_parse({**CONTRACT_A, "contract_no": contract.contract_no, "as_of": "2026-04-01"}),
    )
    calendar_run(as_of=day(2026, 4, 5))
    late_freeze = ReliefAmountFreeze.objects.get(case=late)
    assert late_freeze.cutoff == day(2026, 3, 20) and late_freeze.frozen_on == day(2026, 4, 5)
    assert late_freeze.total == D("24168.00")
    assert late_freeze.contracts[0]["ledger_as_of"] == "2026-03-10"
    assert AuditEvent.objects.filter(action="relief_amount.freeze").count() == 2


@pytest.mark.django_db
def test_issue12_article_21_freeze_dry_run_writes_nothing_and_missing_ledger_retried(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="4", batch=batch, ledgers=(None,))
    report = calendar_run(as_of=day(2026, 3, 25), dry_run=True)
    assert any("无法冻结" in line for line in report.lines())
    calendar_run(as_of=day(2026, 3, 25))
    assert not ReliefAmountFreeze.objects.exists()  # no ledger yet: reported, retried on the next run
    contract = case.contracts.get()
    ledger_snapshot_record(
        contract=contract, ledger=ledger_parse({**CONTRACT_A, "contract_no": contract.contract_no})
    )
    calendar_run(as_of=day(2026, 3, 26))
    assert ReliefAmountFreeze.objects.get(case=case).total == D("168.00")  # category 4: interest only


# --- 附件6: the bank's amounts beside the portal's figure ---------------------------------------------------


@pytest.mark.django_db
def test_issue12_annex6_difference_return_with_question_and_accept_frozen(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    calendar_run(as_of=day(2026, 3, 20))
    contract = case.contracts.get()
    bank, province = world.users.bank_officer, world.users.province_officer
    line = bank_amounts.bank_amount_enter(
        actor=bank, case=case, contract=contract, values={"principal": "24000.00", "interest": "168.50"}
    )
    comparison = {c.part: c for c in money_selectors.bank_amount_comparison(line)}
    assert comparison["interest"].difference == D("0.50") and comparison["principal"].difference == 0
    assert comparison["total"].bank == D("24168.50") and comparison["total"].portal == D("24168.00")

    with pytest.raises(DomainError):
        bank_amounts.bank_amount_return(actor=province, line=line, question=" ")
    line = bank_amounts.bank_amount_return(
        actor=province, line=line, question="利息比门户多0.50元，请核对计息天数"
    )
    assert line.status == BankAmountStatus.RETURNED
    line = bank_amounts.bank_amount_enter(
        actor=bank, case=case, contract=contract, values={"principal": "24000.00", "interest": "168.00"}
    )
    assert line.status == BankAmountStatus.ENTERED and not money_selectors.bank_amount_differs(line)
    line = bank_amounts.bank_amount_accept(actor=province, line=line)
    assert AuditEvent.objects.filter(action="bank_amount.accepted", object_pk=str(line.pk)).count() == 1
    with pytest.raises(ConflictError):
        bank_amounts.bank_amount_enter(actor=bank, case=case, contract=contract, values={"principal": "1"})
    with pytest.raises(DomainError):
        bank_amounts.bank_amount_enter(
            actor=bank, case=case, contract=contract, values={"principal": "1", "total": "2"}
        )
    with pytest.raises(PermissionDeniedError):
        bank_amounts.bank_amount_accept(actor=bank, line=line)


# --- the waterfall (第六条) -------------------------------------------------------------------------------


def test_issue12_article_6_waterfall_each_account_short_in_turn():
    """第六条: provincial reserve first, then the county's surplus reward funds, then county finance."""
    assert waterfall_split(D("1000"), reserve=D("5000"), surplus=D("5000"), finance=D("5000")) == (
        waterfall_split(D("1000"), reserve=D("1000"), surplus=D("0"), finance=D("0"))
    )
    split = waterfall_split(D("1000"), reserve=D("300"), surplus=D("5000"), finance=D("5000"))
    assert (split.from_reserve, split.from_surplus, split.from_finance, split.short) == (300, 700, 0, 0)
    split = waterfall_split(D("1000"), reserve=D("300"), surplus=D("500"), finance=D("5000"))
    assert (split.from_reserve, split.from_surplus, split.from_finance, split.short) == (300, 500, 200, 0)
    split = waterfall_split(D("1000"), reserve=D("300"), surplus=D("500"), finance=D("100"))
    assert (split.from_reserve, split.from_surplus, split.from_finance, split.short) == (300, 500, 100, 100)
    assert not split.funded


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=10**6, places=2),
    reserve=st.decimals(min_value=0, max_value=10**6, places=2),
    surplus=st.decimals(min_value=0, max_value=10**6, places=2),
    finance=st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_issue12_article_6_waterfall_parts_sum_and_never_overdraw(amount, reserve, surplus, finance):
    split = waterfall_split(amount, reserve=reserve, surplus=surplus, finance=finance)
    assert split.from_reserve + split.from_surplus + split.from_finance + split.short == amount
    assert 0 <= split.from_reserve <= reserve and 0 <= split.from_surplus <= surplus
    assert 0 <= split.from_finance <= finance and split.short >= 0
    if split.from_surplus:
        assert split.from_reserve == reserve  # the reserve is used up before the county's funds
    if split.from_finance:
        assert split.from_surplus == surplus


@pytest.mark.django_db
def test_issue12_article_6_payment_draws_reserve_then_surplus_then_finance(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    accept_bank_amounts(world, case, total_each="1000.00")
    fund(world, reserve="300", surplus={world.county1: "500"}, finance={world.county1: "1000"})
    prepared = disbursements.disbursement_prepare(actor=world.users.province_officer, year=2026)
    item = prepared.items.get()
    assert (item.from_reserve, item.from_surplus, item.from_finance) == (300, 500, 200)
    disbursements.disbursement_approve(
        actor=world.users.province_manager, batch=prepared, document="甘资助划〔2026〕1号"
    )
    balances = {a.kind: a.balance for a in FundAccount.objects.all()}
    assert balances == {
        FundAccountKind.PROVINCIAL_RESERVE: 0,
        FundAccountKind.COUNTY_SURPLUS: 0,
        FundAccountKind.COUNTY_FINANCE: 800,
    }
    assert FundEntry.objects.filter(case=case, kind="payment").count() == 3
    assert funds.fund_books_check() == []


@pytest.mark.django_db
def test_issue12_article_6_county_finance_share_tracked_until_it_arrives(world):
    officer = world.users.province_officer
    funds.fund_finance_demand(
        actor=officer, county=world.county2, amount="700", document="甘资助函〔2026〕7号"
    )
    account = FundAccount.objects.get(kind=FundAccountKind.COUNTY_FINANCE, county=world.county2)
    assert (account.balance, account.owed) == (0, 700)
    funds.fund_finance_arrival(actor=officer, county=world.county2, amount="500", document="皋财〔2026〕3号")
    account.refresh_from_db()
    assert (account.balance, account.owed) == (500, 200)
    funds.fund_finance_arrival(actor=officer, county=world.county2, amount="300", document="皋财〔2026〕4号")
    account.refresh_from_db()
    assert (account.balance, account.owed) == (800, 0)
    with pytest.raises(DomainError):
        funds.fund_finance_arrival(actor=officer, county=world.county2, amount="1", document="")
    assert funds.fund_books_check() == []


@pytest.mark.django_db
def test_issue12_voluntary_return_goes_to_the_provincial_account(world):
    entry = funds.fund_return_record(
        actor=world.users.province_officer, amount="1200.00", document="收据0001", borrower_name="张三"
    )
    reserve = FundAccount.objects.get(kind=FundAccountKind.PROVINCIAL_RESERVE)
    assert reserve.balance == D("1200.00") and entry.kind == "return" and "张三" in entry.note
    with pytest.raises(PermissionDeniedError):
        funds.fund_return_record(
            actor=world.users.county1_staff, amount="1", document="x", borrower_name="李四"
        )


# --- priority (第十七条) ---------------------------------------------------------------------------------


def test_issue12_article_17_priority_allocation_when_funds_are_short():
    """1–2 first, then 3–4, then 5; within a group the earlier hand-over first. Nothing is paid in part."""
    candidates = [
        Candidate(1, "C-5a", "county1", "5a", day(2026, 1, 10), D("1000")),
        Candidate(2, "C-3", "county1", "3", day(2026, 3, 1), D("1000")),
        Candidate(3, "C-1", "county1", "1", day(2026, 3, 15), D("1000")),
        Candidate(4, "C-4", "county1", "4", day(2026, 2, 1), D("1000")),
    ]
    allocation = allocate(candidates, reserve=D("2500"), surplus={}, finance={})
    assert [c.case_no for c, _, _ in allocation.paid] == ["C-1", "C-4"]
    assert [c.case_no for c, _ in allocation.waiting] == ["C-3", "C-5a"]
    assert allocation.reserve_left == D("500")
    assert allocation.finance_to_raise == {"county1": D("1500")}  # 500 + 1000 short


@pytest.mark.django_db
def test_issue12_article_17_preview_matches_the_prepared_batch(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    first = handed_over_case(world, category="5a", batch=batch)
    second = handed_over_case(world, category="2", batch=batch, county=world.county2)
    for case in (first, second):
        accept_bank_amounts(world, case, total_each="1000.00")
    fund(world, reserve="1500")
    preview = money_selectors.disbursement_preview()
    assert [c.case_no for c, _, _ in preview.paid] == [second.case_no]
    prepared = disbursements.disbursement_prepare(actor=world.users.province_officer, year=2026)
    assert list(prepared.items.values_list("case__case_no", flat=True)) == [second.case_no]
    # the prepared batch's draw is reserved: the next preview does not spend it again
    assert money_selectors.disbursement_preview().reserve_left == D("500")


# --- disbursement batches (第二十二条) -----------------------------------------------------------------------


@pytest.mark.django_db
def test_issue12_article_22_third_batch_in_a_year_refused(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    fund(world, reserve="10000")
    officer = world.users.province_officer
    for _ in range(3):
        case = handed_over_case(world, category="4", batch=batch)
        accept_bank_amounts(world, case, total_each="100.00")
    disbursements.disbursement_prepare(actor=officer, year=2026)
    case = handed_over_case(world, category="4", batch=batch)
    accept_bank_amounts(world, case, total_each="100.00")
    disbursements.disbursement_prepare(actor=officer, year=2026)
    case = handed_over_case(world, category="4", batch=batch)
    accept_bank_amounts(world, case, total_each="100.00")
    with pytest.raises(DomainError) as refused:
        disbursements.disbursement_prepare(actor=officer, year=2026)
    assert "每年还款救助频度不超过2次" in refused.value.message and "第二十二条" in refused.value.message
    assert DisbursementBatch.objects.filter(year=2026).count() == 2
    disbursements.disbursement_prepare(actor=officer, year=2027)  # a new calendar year
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database refuses a number 3
        DisbursementBatch.objects.create(year=2028, number=3, prepared_by=officer)


@pytest.mark.django_db
def test_issue12_article_22_maker_checker_and_bank_confirms_crediting(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    accept_bank_amounts(world, case, total_each="1000.00")
    fund(world, reserve="5000")
    manager = world.users.province_manager
    prepared = disbursements.disbursement_prepare(actor=manager, year=2026)
    with pytest.raises(PermissionDeniedError):
        disbursements.disbursement_approve(actor=manager, batch=prepared, document="x")
    with pytest.raises(PermissionDeniedError):
        disbursements.disbursement_approve(actor=world.users.province_officer, batch=prepared, document="x")
    other = UserFactory(username="province_manager2", role=Role.PROVINCE_MANAGER, organisation=world.province)
    with pytest.raises(PermissionDeniedError):
        disbursements.disbursement_confirm(actor=other, batch=prepared)
    approved = disbursements.disbursement_approve(actor=other, batch=prepared, document="甘资助划〔2026〕1号")
    assert approved.status == DisbursementStatus.APPROVED
    confirmed = disbursements.disbursement_confirm(actor=world.users.bank_officer, batch=approved)
    assert confirmed.status == DisbursementStatus.CONFIRMED
    case.refresh_from_db()
    assert case.status == states.RELIEVED and confirmed.items.get().credited_at is not None
    with pytest.raises(ConflictError):
        disbursements.disbursement_confirm(actor=world.users.bank_officer, batch=approved)


@pytest.mark.django_db
def test_issue12_article_22_a_case_is_paid_once_database_constraint(world):
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    accept_bank_amounts(world, case, total_each="1000.00")
    fund(world, reserve="5000")
    prepared = disbursements.disbursement_prepare(actor=world.users.province_officer, year=2026)
    second = DisbursementBatch.objects.create(year=2026, number=2, prepared_by=world.users.province_officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.items.create(case=case, priority=1, amount=D("1000"), from_reserve=D("1000"))
    assert prepared.items.count() == 1


@pytest.mark.django_db
def test_issue12_fund_balance_never_negative_database_constraint(world):
    account = funds.fund_account_ensure(kind=FundAccountKind.PROVINCIAL_RESERVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        FundAccount.objects.filter(pk=account.pk).update(balance=D("-0.01"))


def _outcomes(results):
    """race()'s results as ("ok", value) / ("error", exception) pairs, for the assertions' messages."""
    return [("error", r) if isinstance(r, Exception) else ("ok", r) for r in results]


@pytest.mark.django_db(transaction=True)
def test_issue12_article_22_two_managers_approve_at_once_paid_once_other_409(live_world):
    world = live_world
    assert connection.vendor == "postgresql"
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    accept_bank_amounts(world, case, total_each="1000.00")
    fund(world, reserve="5000")
    prepared = disbursements.disbursement_prepare(actor=world.users.province_officer, year=2026)
    managers = [
        world.users.province_manager,
        UserFactory(username="province_manager2", role=Role.PROVINCE_MANAGER, organisation=world.province),
    ]
    results = _outcomes(
        race(
            *(
                lambda m=m: disbursements.disbursement_approve(actor=m, batch=prepared, document="划付1号")
                for m in managers
            )
        )
    )
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, ConflictError) and error.status_code == 409
    assert FundEntry.objects.filter(case=case, kind="payment").count() == 1
    assert FundAccount.objects.get(kind=FundAccountKind.PROVINCIAL_RESERVE).balance == D("4000.00")
    assert AuditEvent.objects.filter(action="disbursement.approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_issue12_article_7_concurrent_payments_never_overdraw(live_world):
    """Two payments of 1,000 from a reserve of 1,500 at the same moment: the row lock serialises them, one
    is refused, the balance never goes below zero and the books balance."""
    world = live_world
    officer = world.users.province_officer
    fund(world, reserve="1500")
    account = funds.fund_account_ensure(kind=FundAccountKind.PROVINCIAL_RESERVE)

    def pay():
        with transaction.atomic():
            return funds._move(
                account=account, kind="payment", amount=D("-1000"), document="并发测试", actor=officer
            )

    results = _outcomes(race(pay, pay, pay, pay))
    assert sorted(kind for kind, _ in results) == ["error", "error", "error", "ok"], results
    assert all(isinstance(v, ConflictError) for k, v in results if k == "error")
    account.refresh_from_db()
    assert account.balance == D("500.00")
    assert funds.fund_books_check() == []
    call_command("relief_fund_check")


@pytest.mark.django_db
def test_issue12_calendar_daily_jobs_registered_and_a_failing_one_does_not_stop_the_run(world):
    """The freeze is registered with the calendar's daily job; a job that raises is reported, the run goes on."""
    from deadlines import registry

    assert "repayment_relief.freeze_relief_amounts" in registry.daily_jobs()

    def broken(*, as_of, dry_run):
        raise RuntimeError("boom")

    registry.register_daily_job("test.broken", broken)
    try:
        batch = batch_received(world, received_on=day(2026, 3, 12))
        case = handed_over_case(world, category="1", batch=batch)
        report = calendar_run(as_of=day(2026, 3, 20))
    finally:
        registry.unregister_daily_job("test.broken")
    assert any("test.broken：失败" in line for line in report.lines())
    assert ReliefAmountFreeze.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True)
def test_issue12_article_22_two_officers_prepare_at_once_one_batch_other_409(live_world):
    """Two officers prepare from the same preview at the same moment: one batch, the other gets 409 (the case
    is paid once; the batch number is unique per year)."""
    world = live_world
    batch = batch_received(world, received_on=day(2026, 3, 12))
    case = handed_over_case(world, category="1", batch=batch)
    accept_bank_amounts(world, case, total_each="1000.00")
    fund(world, reserve="5000")
    officers = [
        world.users.province_officer,
        UserFactory(username="province_officer2", role=Role.PROVINCE_OFFICER, organisation=world.province),
    ]
    results = _outcomes(
        race(*(lambda o=o: disbursements.disbursement_prepare(actor=o, year=2026) for o in officers))
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, ConflictError) and error.status_code == 409
    assert DisbursementBatch.objects.count() == 1
