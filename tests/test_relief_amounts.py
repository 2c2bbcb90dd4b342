"""The relief amount to the cutoff (relief measures art. 21(二), art. 18), read as ../shared/RELIEF-AMOUNTS.md.

Expected figures are the page's worked examples or arithmetic written out here by hand; the function
under test never computes its own expectation. `reference_amount` below is the page's day-by-day reading,
written as plainly as possible (exact fractions, one loop iteration per day); hypothesis checks the
interval-based `relief_amount` against it.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from repayment_relief.ledger import (
    Instalment,
    LedgerError,
    LedgerSnapshot,
    OverdueItem,
    RateEntry,
    ledger_parse,
    ledgers_parse,
)
from repayment_relief.rules import (
    SCOPE_ALL,
    SCOPE_CURRENT_YEAR,
    ReliefParameters,
    amount_cutoff_date,
    category_scope,
    relief_amount,
)

D = Decimal
date = datetime.date
PARAMS = ReliefParameters(penalty_factor=D("1.3"), day_basis=360, settlement_month=12, settlement_day=20)
PARTS = ("principal", "interest", "overdue_principal", "overdue_interest", "penalty", "total")


def fen(value) -> Decimal:
    """Round a hand-computed figure half up to the fen (the page's rounding)."""
    return D(value).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def parts(amount) -> tuple:
    return tuple(getattr(amount, p) for p in PARTS)


def expect(principal, interest, overdue_principal, overdue_interest, penalty) -> tuple:
    values = tuple(fen(v) for v in (principal, interest, overdue_principal, overdue_interest, penalty))
    return (*values, sum(values))


def amount(ledger, category, received: str, params=PARAMS):
    cutoff = amount_cutoff_date(date.fromisoformat(received))
    return relief_amount(ledger, category=category, cutoff=cutoff, parameters=params)


# --- the worked examples of RELIEF-AMOUNTS.md ---------------------------------------------------------

CONTRACT_A = {
    "contract_no": "A",
    "as_of": "2026-03-10",
    "interest_settled_through": "2025-12-20",
    "outstanding_principal": "24000.00",
    "rates": [{"from": "2024-12-21", "annual_rate": "3.05"}, {"from": "2025-12-21", "annual_rate": "2.80"}],
    "overdue": [],
    "penalty_accrued": "0.00",
    "schedule": [{"due": f"{year}-12-20", "principal": "4800.00"} for year in range(2031, 2036)],
}
CONTRACT_B = {
    "contract_no": "GS2021-0107",
    "as_of": "2026-10-31",
    "interest_settled_through": "2025-12-20",
    "outstanding_principal": "16000.00",
    "rates": [
        {"from": "2024-12-21", "annual_rate": "3.05"},
        {"from": "2025-12-21", "annual_rate": "2.80"},
        {"from": "2026-12-21", "annual_rate": "2.60"},
    ],
    "overdue": [
        {"kind": "principal", "due": "2025-12-20", "amount": "4000.00"},
        {"kind": "interest", "due": "2025-12-20", "amount": "300.00"},
    ],
    "penalty_accrued": "120.50",
    "schedule": [
        {"due": "2026-12-20", "principal": "4000.00"},
        {"due": "2027-12-20", "principal": "4000.00"},
        {"due": "2028-09-20", "principal": "4000.00"},
    ],
}


@pytest.mark.parametrize(
    ("category", "row"),
    [
        (1, ("24000.00", "168.00", "0.00", "0.00", "0.00", "24168.00")),
        (4, ("0.00", "168.00", "0.00", "0.00", "0.00", "168.00")),
    ],
)
def test_art_21_2_worked_example_contract_a(category, row):
    result = amount(ledger_parse(CONTRACT_A), category, "2026-03-12")
    assert parts(result) == tuple(D(v) for v in row)


@pytest.mark.parametrize(
    ("category", "received", "cutoff", "row"),
    [
        (
            "5",
            "2026-11-03",
            date(2026, 12, 20),
            ("4000.00", "340.67", "4000.00", "300.00", "142.24", "8782.91"),
        ),
        (
            "2",
            "2026-12-28",
            date(2027, 1, 20),
            ("8000.00", "17.91", "8000.00", "640.67", "167.39", "16825.97"),
        ),
        (
            "3",
            "2026-12-28",
            date(2027, 1, 20),
            ("4000.00", "17.91", "8000.00", "640.67", "167.39", "12825.97"),
        ),
    ],
)
def test_art_21_2_worked_example_contract_b(category, received, cutoff, row):
    assert amount_cutoff_date(date.fromisoformat(received)) == cutoff
    result = amount(ledger_parse(CONTRACT_B), category, received)
    assert parts(result) == tuple(D(v) for v in row)


# --- our own examples, computed by hand ---------------------------------------------------------------


def ledger(**fields) -> LedgerSnapshot:
    data = {"overdue": [], "penalty_accrued": "0.00", "contract_no": "T-1", **fields}
    return ledger_parse(data)


def test_art_21_2_no_overdue():
    contract = ledger(
        as_of="2027-01-05",
        interest_settled_through="2026-12-20",
        outstanding_principal="10000.00",
        rates=[{"from": "2026-12-21", "annual_rate": "3.00"}],
        schedule=[
            {"due": "2032-12-20", "principal": "5000.00"},
            {"due": "2033-12-20", "principal": "5000.00"},
        ],
    )
    # received 10 March → C = 20 March 2027; 21 Dec – 20 Mar: 11 + 31 + 28 + 20 = 90 days
    interest = D(10000) * D("0.03") * 90 / 360  # 75.00
    assert parts(amount(contract, 1, "2027-03-10")) == expect(10000, interest, 0, 0, 0)
    assert amount(contract, 1, "2027-03-10").total == D("10075.00")


def overdue_contract():
    return ledger(
        as_of="2027-02-28",
        interest_settled_through="2026-12-20",
        outstanding_principal="9000.00",
        rates=[{"from": "2026-12-21", "annual_rate": "3.60"}],
        overdue=[
            {"kind": "principal", "due": "2026-12-20", "amount": "3000.00"},
            {"kind": "interest", "due": "2026-12-20", "amount": "150.00"},
        ],
        penalty_accrued="10.00",
        schedule=[
            {"due": "2027-12-20", "principal": "3000.00"},
            {"due": "2028-09-20", "principal": "3000.00"},
        ],
    )


def test_art_21_2_overdue_principal_and_interest_with_penalty():
    # received 5 April → C = 20 April 2027. 21 Dec – 20 Apr: 11 + 31 + 28 + 31 + 20 = 121 days.
    interest = D(6000) * D("0.036") * 121 / 360  # normal principal 9,000 − 3,000 overdue: 72.60
    # penalty after the ledger's day: 1 Mar – 20 Apr = 31 + 20 = 51 days on 3,000 + 150 at 130 % of 3.60 %
    penalty = D("10.00") + D(3150) * D("0.036") * D("1.3") * 51 / 360  # 10 + 20.8845 = 30.8845
    assert parts(amount(overdue_contract(), 1, "2027-04-05")) == expect(6000, interest, 3000, 150, penalty)
    assert amount(overdue_contract(), 1, "2027-04-05").total == D("9253.48")


def due_before_cutoff_contract():
    return ledger(
        as_of="2027-12-01",
        interest_settled_through="2026-12-20",
        outstanding_principal="6000.00",
        rates=[{"from": "2026-12-21", "annual_rate": "3.00"}],
        schedule=[
            {"due": "2027-12-20", "principal": "2000.00"},
            {"due": "2028-12-20", "principal": "2000.00"},
            {"due": "2029-09-20", "principal": "2000.00"},
        ],
    )


def test_art_21_2_due_day_before_the_cutoff():
    # received 16 Dec 2027 → C = 20 Jan 2028, so 20 Dec 2027 (< C) makes its instalment and interest overdue.
    assert amount_cutoff_date(date(2027, 12, 16)) == date(2028, 1, 20)
    overdue_interest = fen(D(6000) * D("0.03") * 365 / 360)  # 21 Dec 2026 – 20 Dec 2027: 182.50
    interest = D(4000) * D("0.03") * 31 / 360  # 21 Dec – 20 Jan on the 4,000 left: 10.333…
    penalty = (D(2000) + overdue_interest) * D("0.03") * D("1.3") * 31 / 360  # 7.3295…
    expected = expect(4000, interest, 2000, overdue_interest, penalty)
    assert parts(amount(due_before_cutoff_contract(), 2, "2027-12-16")) == expected
    assert expected[-1] == D("6200.16")


def test_art_21_2_due_day_equal_to_the_cutoff_is_current():
    # received 1 Dec → C = 20 Dec 2027, the due day itself: nothing becomes overdue.
    interest = D(6000) * D("0.03") * 365 / 360  # 182.50, still ordinary interest
    assert parts(amount(due_before_cutoff_contract(), 2, "2027-12-01")) == expect(6000, interest, 0, 0, 0)
    assert parts(amount(due_before_cutoff_contract(), 3, "2027-12-01")) == expect(2000, interest, 0, 0, 0)


def last_instalment_contract():
    return ledger(
        as_of="2028-06-30",
        interest_settled_through="2027-12-20",
        outstanding_principal="2000.00",
        rates=[{"from": "2027-12-21", "annual_rate": "3.60"}],
        schedule=[{"due": "2028-09-20", "principal": "2000.00"}],
    )


def test_art_21_2_last_instalment_on_20_september():
    # 21 Dec 2027 – 20 Sep 2028: 11 + 31 + 29 + 31 + 30 + 31 + 30 + 31 + 31 + 20 = 275 days (2028 is leap)
    interest_due = fen(D(2000) * D("0.036") * 275 / 360)  # 55.00
    # received 8 Oct → C = 20 Oct: the last instalment (20 Sep < C) is overdue with its interest; nothing
    # is left to bear ordinary interest; 21 Sep – 20 Oct = 30 days of penalty on 2,055.00.
    penalty = (D(2000) + interest_due) * D("0.036") * D("1.3") * 30 / 360  # 8.0145
    assert parts(amount(last_instalment_contract(), 1, "2028-10-08")) == expect(
        0, 0, 2000, interest_due, penalty
    )
    assert parts(amount(last_instalment_contract(), 5, "2028-10-08")) == expect(
        0, 0, 2000, interest_due, penalty
    )
    # received 10 Sep → C = 20 Sep, the instalment's own day: current, in this repayment year's scope.
    on_the_day = expect(2000, interest_due, 0, 0, 0)
    assert parts(amount(last_instalment_contract(), 4, "2028-09-10")) == on_the_day
    assert on_the_day[-1] == D("2055.00")


def test_art_21_2_rate_change_on_21_december_inside_the_period():
    # A graduate: interest is the borrower's from 1 September 2026 (settled through 31 August).
    contract = ledger(
        as_of="2026-09-30",
        interest_settled_through="2026-08-31",
        outstanding_principal="12000.00",
        rates=[{"from": "2025-12-21", "annual_rate": "3.05"}, {"from": "2026-12-21", "annual_rate": "2.90"}],
        schedule=[
            {"due": "2031-12-20", "principal": "6000.00"},
            {"due": "2032-12-20", "principal": "6000.00"},
        ],
    )
    # received 10 Jan 2027 → C = 20 Jan 2027. 1 Sep – 20 Dec 2026: 30 + 31 + 30 + 20 = 111 days at 3.05 %,
    # due (and overdue) on 20 Dec; 21 Dec – 20 Jan: 31 days at the repriced 2.90 %.
    overdue_interest = fen(D(12000) * D("0.0305") * 111 / 360)  # 112.85
    interest = D(12000) * D("0.029") * 31 / 360  # 29.9666…
    penalty = overdue_interest * D("0.029") * D("1.3") * 31 / 360  # 0.3663…
    expected = expect(12000, interest, 0, overdue_interest, penalty)
    assert parts(amount(contract, 1, "2027-01-10")) == expected
    assert expected[-1] == D("12143.19")


def test_art_21_2_leap_day_29_february_2028():
    contract = ledger(
        as_of="2028-01-31",
        interest_settled_through="2027-12-20",
        outstanding_principal="7200.00",
        rates=[{"from": "2027-12-21", "annual_rate": "3.00"}],
        overdue=[{"kind": "interest", "due": "2027-12-20", "amount": "100.00"}],
        schedule=[
            {"due": "2028-12-20", "principal": "3600.00"},
            {"due": "2029-09-20", "principal": "3600.00"},
        ],
    )
    # received 3 Mar → C = 20 Mar 2028. 21 Dec – 20 Mar: 11 + 31 + 29 + 20 = 91 days (29 Feb counts).
    interest = D(7200) * D("0.03") * 91 / 360  # 54.60 (90 days in a common year would give 54.00)
    penalty = D(100) * D("0.03") * D("1.3") * 49 / 360  # 1 Feb – 20 Mar: 29 + 20 = 49 days: 0.5308…
    expected = expect(7200, interest, 0, 100, penalty)
    assert parts(amount(contract, 1, "2028-03-03")) == expected
    assert expected[-1] == D("7355.13")


@pytest.mark.parametrize(
    ("category", "scope", "principal"),
    [
        (1, SCOPE_ALL, 4000),  # art. 18: everything outstanding at once
        (2, SCOPE_ALL, 4000),
        (3, SCOPE_CURRENT_YEAR, 2000),  # art. 18: only this repayment year's instalment (20 Dec 2028)
        (4, SCOPE_CURRENT_YEAR, 2000),
        (5, SCOPE_CURRENT_YEAR, 2000),
        ("5a", SCOPE_CURRENT_YEAR, 2000),
        ("5b", SCOPE_CURRENT_YEAR, 2000),
    ],
)
def test_art_18_scope_of_each_category(category, scope, principal):
    assert category_scope(category) == scope
    result = amount(due_before_cutoff_contract(), category, "2027-12-16")
    # interest, overdue items and penalty are the same for every category (see the test above):
    # 10.33 + 2,000.00 + 182.50 + 7.33; only the principal differs.
    assert result.principal == D(principal)
    assert result.total == D(principal) + D("10.33") + D("2000.00") + D("182.50") + D("7.33")


@pytest.mark.parametrize("category", [0, 6, "5c", "", None, "一"])
def test_art_18_scope_unknown_category_refused(category):
    with pytest.raises(LedgerError, match="救助类别"):
        amount(due_before_cutoff_contract(), category, "2027-12-16")


def test_art_21_2_rounding_half_up_at_the_fen():
    contract = ledger(
        as_of="2026-12-20",
        interest_settled_through="2026-12-20",
        outstanding_principal="1000.00",
        rates=[{"from": "2026-12-21", "annual_rate": "2.70"}],
        schedule=[{"due": "2030-12-20", "principal": "1000.00"}],
    )
    # 1,000 × 2.70 % × 31 / 360 = 2.325 exactly: half up gives 2.33 (half-even would give 2.32)
    assert D(1000) * D("0.027") * 31 / 360 == D("2.325")
    assert amount(contract, 1, "2026-12-28").interest == D("2.33")


def test_art_21_2_rounding_half_up_when_interest_becomes_overdue():
    contract = ledger(
        as_of="2027-11-30",
        interest_settled_through="2027-11-19",
        outstanding_principal="1000.00",
        rates=[{"from": "2026-12-21", "annual_rate": "2.70"}],
        schedule=[{"due": "2027-12-20", "principal": "1000.00"}],
    )
    # 20 Nov – 20 Dec = 31 days: 2.325 → 2.33 overdue interest on 20 Dec; C = 20 Jan 2028; the penalty
    # runs 21 Dec – 20 Jan (31 days) on 1,002.33; the rounded figure, not 2.325, bears it.
    penalty = D("1002.33") * D("0.027") * D("1.3") * 31 / 360  # 3.0295…
    assert parts(amount(contract, 1, "2027-12-20")) == expect(0, 0, 1000, "2.33", penalty)


def test_art_21_2_parameters_come_from_the_caller():
    params = ReliefParameters(penalty_factor=D("1.5"), day_basis=365, settlement_month=12, settlement_day=20)
    interest = D(6000) * D("0.036") * 121 / 365
    penalty = D("10.00") + D(3150) * D("0.036") * D("1.5") * 51 / 365
    result = amount(overdue_contract(), 1, "2027-04-05", params=params)
    assert parts(result) == expect(6000, interest, 3000, 150, penalty)


# --- refusals -------------------------------------------------------------------------------------


def test_art_21_2_due_day_between_settlement_and_ledger_date_refused():
    data = {**CONTRACT_A, "as_of": "2026-12-25"}  # 20 Dec 2026 fell due but is not settled in the ledger
    with pytest.raises(
        LedgerError, match="结息日 2026-12-20 在利息结算日 2025-12-20 之后、台账日期 2026-12-25 之前"
    ):
        amount(ledger_parse(data), 1, "2027-01-05")


def test_art_21_2_instalment_between_settlement_and_ledger_date_refused():
    data = {**CONTRACT_A, "schedule": [{"due": "2026-03-10", "principal": "24000.00"}]}
    with pytest.raises(
        LedgerError, match="到期日 2026-03-10 在利息结算日 2025-12-20 之后、台账日期 2026-03-10 之前"
    ):
        ledger_parse(data)
    graduate = {**CONTRACT_A, "as_of": "2026-07-01", "interest_settled_through": "2026-08-31"}
    graduate["schedule"] = [{"due": "2026-08-20", "principal": "24000.00"}]
    with pytest.raises(LedgerError, match="不晚于利息结算日 2026-08-31"):
        ledger_parse(graduate)


def test_art_21_2_ledger_after_cutoff_refused():
    with pytest.raises(LedgerError, match="台账日期 2026-10-31 晚于计算截止日 2026-10-20"):
        relief_amount(ledger_parse(CONTRACT_B), category=1, cutoff=date(2026, 10, 20), parameters=PARAMS)
    late = {**CONTRACT_A, "as_of": "2026-03-21"}
    with pytest.raises(LedgerError, match="台账日期 2026-03-21 晚于计算截止日 2026-03-20"):
        amount(ledger_parse(late), 1, "2026-03-12")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"as_of": "2026-13-01"}, "台账日期（as_of）应为 YYYY-MM-DD"),
        ({"as_of": "20261031"}, "应为 YYYY-MM-DD"),
        ({"outstanding_principal": "16,000"}, "未还本金（outstanding_principal）不是有效数字"),
        ({"outstanding_principal": 16000.0}, "不能用浮点数"),
        ({"outstanding_principal": "16000.001"}, "最多2位小数"),
        ({"penalty_accrued": "-1.00"}, "不能为负数"),
        ({"outstanding_principal": "15000.00"}, "还款计划本金合计 12000.00"),
        ({"rates": []}, "利率（rates）至少要有一条"),
        ({"rates": [{"from": "2026-01-01"}]}, "利率（rates）第1项缺少字段 年利率（annual_rate）"),
        ({"rates": [{"from": "2026-12-21", "annual_rate": "2.6"}]}, "没有 2025-12-21 适用的利率"),
        ({"overdue": [{"kind": "fee", "due": "2025-12-20", "amount": "1.00"}]}, "principal 或 interest"),
        ({"overdue": "none"}, "逾期项目（overdue）应为列表"),
        ({"schedule": [{"due": "2026-12-20", "principal": "x"}]}, "还款计划（schedule）第1项的应还本金"),
        ({"contract_no": ""}, "合同号"),
    ],
)
def test_art_21_2_bad_ledger_refused_with_a_clear_message(change, message):
    with pytest.raises(LedgerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        amount(ledger_parse({**CONTRACT_B, **change}), 1, "2026-11-03")


def test_art_21_2_missing_fields_named():
    data = {k: v for k, v in CONTRACT_B.items() if k not in ("as_of", "schedule")}
    with pytest.raises(LedgerError, match="缺少字段 台账日期（as_of）、还款计划（schedule）"):
        ledger_parse(data)


def test_art_21_2_case_file_names_the_entry():
    with pytest.raises(LedgerError, match="第2个合同"):
        ledgers_parse([CONTRACT_A, {**CONTRACT_B, "as_of": "x"}])
    with pytest.raises(LedgerError, match="合同号 A 重复"):
        ledgers_parse([CONTRACT_A, CONTRACT_A])
    with pytest.raises(LedgerError, match="JSON 列表"):
        ledgers_parse({"contract_no": "A"})


# --- the day-by-day reading, written plainly ------------------------------------------------------


def _half_up(value: Fraction) -> Fraction:
    return Fraction(int(value * 100 + Fraction(1, 2)), 100)  # value ≥ 0, so int() floors


def reference_amount(ledger: LedgerSnapshot, category, cutoff: date, params: ReliefParameters) -> tuple:
    """RELIEF-AMOUNTS.md step by step, one day at a time, in exact fractions."""
    factor = Fraction(params.penalty_factor)
    basis = params.day_basis
    overdue_items = [Fraction(item.amount) for item in ledger.overdue]
    overdue_principal = sum(Fraction(i.amount) for i in ledger.overdue if i.kind == "principal")
    overdue_interest = sum(Fraction(i.amount) for i in ledger.overdue if i.kind == "interest")
    normal = Fraction(ledger.outstanding_principal) - overdue_principal
    schedule = {i.due: Fraction(i.principal) for i in ledger.schedule}
    accrued = Fraction(0)
    penalty = Fraction(ledger.penalty_accrued)
    day = ledger.interest_settled_through + datetime.timedelta(days=1)
    while day <= cutoff:
        rate = (
            Fraction(max((r for r in ledger.rates if r.start <= day), key=lambda r: r.start).annual_rate)
            / 100
        )
        accrued += normal * rate / basis  # 1.
        if day > ledger.as_of:  # 2.
            penalty += sum(overdue_items) * rate * factor / basis
        due_day = (day.month, day.day) == (params.settlement_month, params.settlement_day) or day in schedule
        if due_day and day < cutoff:  # 3.
            instalment = schedule.get(day, Fraction(0))
            normal -= instalment
            overdue_principal += instalment
            rounded = _half_up(accrued)
            overdue_interest += rounded
            overdue_items += [instalment, rounded]
            accrued = Fraction(0)
        day += datetime.timedelta(days=1)
    if str(category) in ("1", "2"):
        principal = normal
    else:
        end = date(cutoff.year, params.settlement_month, params.settlement_day)
        principal = sum(p for due, p in schedule.items() if cutoff <= due <= end)
    values = [
        _half_up(Fraction(v)) for v in (principal, accrued, overdue_principal, overdue_interest, penalty)
    ]
    return tuple(D(v.numerator) / D(v.denominator) for v in [*values, sum(values)])


def test_reference_reads_the_worked_examples():
    cutoff = date(2027, 1, 20)
    assert reference_amount(ledger_parse(CONTRACT_B), 2, cutoff, PARAMS)[-1] == D("16825.97")
    assert reference_amount(ledger_parse(CONTRACT_B), 5, date(2026, 12, 20), PARAMS)[-1] == D("8782.91")


fen_amounts = st.integers(min_value=0, max_value=2_000_000).map(lambda f: D(f).scaleb(-2))


@st.composite
def ledgers_and_cutoffs(draw, cutoffs: int = 1):
    """A valid ledger (RELIEF-AMOUNTS.md) and cutoffs on or after its date, from real received dates."""
    year = draw(st.integers(2024, 2029))
    graduate = draw(st.booleans())
    settled = date(year, 8, 31) if graduate else date(year, 12, 20)
    next_due = date(year, 12, 20) if graduate else date(year + 1, 12, 20)
    low = -90 if graduate else 0
    as_of = settled + datetime.timedelta(days=draw(st.integers(low, (next_due - settled).days - 1)))
    known = max(as_of, settled)
    first_year = next_due.year + draw(st.integers(0, 2))
    count = draw(st.integers(0, 4))
    dues = [date(first_year + k, 12, 20) for k in range(count)]
    if dues and draw(st.booleans()):
        dues[-1] = date(dues[-1].year, 9, 20)  # the last instalment on 20 September
    if draw(st.booleans()):
        dues.append(known + datetime.timedelta(days=draw(st.integers(1, 400))))  # an odd instalment day
    dues = sorted({d for d in dues if d > known})
    schedule = tuple(Instalment(due=d, principal=draw(fen_amounts)) for d in dues)
    overdue = tuple(
        OverdueItem(
            kind=draw(st.sampled_from(["principal", "interest"])),
            due=as_of - datetime.timedelta(days=draw(st.integers(0, 700))),
            amount=draw(fen_amounts),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    rate_values = st.integers(0, 600).map(lambda r: D(r).scaleb(-2)) | st.integers(0, 60000).map(
        lambda r: D(r).scaleb(-4)
    )
    rates = tuple(
        RateEntry(start=date(y, 12, 21), annual_rate=draw(rate_values))
        for y in range(year - 1, year + 5)
        if y == year - 1 or draw(st.booleans())
    )
    ledger = LedgerSnapshot(
        contract_no="H-1",
        as_of=as_of,
        interest_settled_through=settled,
        outstanding_principal=sum((i.principal for i in schedule), D("0.00"))
        + sum((o.amount for o in overdue if o.kind == "principal"), D("0.00")),
        rates=rates,
        overdue=overdue,
        penalty_accrued=draw(fen_amounts),
        schedule=schedule,
    )
    received = sorted(as_of + datetime.timedelta(days=draw(st.integers(-20, 900))) for _ in range(cutoffs))
    found = [amount_cutoff_date(r) for r in received]
    assume(found[0] >= as_of)
    return ledger, found


categories = st.sampled_from([1, 2, 3, 4, 5, "5a", "5b"])
parameter_sets = st.sampled_from(
    [
        PARAMS,
        ReliefParameters(penalty_factor=D("1.5"), day_basis=365, settlement_month=12, settlement_day=20),
        ReliefParameters(penalty_factor=D("1"), day_basis=360, settlement_month=12, settlement_day=20),
    ]
)


@settings(max_examples=300, deadline=None)
@given(case=ledgers_and_cutoffs(), category=categories, params=parameter_sets)
def test_art_21_2_fast_function_agrees_with_the_day_by_day_reading(case, category, params):
    ledger, (cutoff,) = case
    fast = relief_amount(ledger, category=category, cutoff=cutoff, parameters=params)
    assert parts(fast) == reference_amount(ledger, category, cutoff, params)


@settings(max_examples=300, deadline=None)
@given(case=ledgers_and_cutoffs(), category=categories)
def test_art_21_2_parts_sum_to_the_total_and_are_never_negative(case, category):
    ledger, (cutoff,) = case
    result = relief_amount(ledger, category=category, cutoff=cutoff, parameters=PARAMS)
    values = parts(result)
    assert all(v >= 0 and v == v.quantize(D("0.01")) for v in values)
    assert sum(values[:-1]) == result.total


@settings(max_examples=300, deadline=None)
@given(case=ledgers_and_cutoffs(cutoffs=2), category=categories)
def test_art_21_2_amount_monotone_in_the_cutoff(case, category):
    ledger, (earlier, later) = case
    first = relief_amount(ledger, category=category, cutoff=earlier, parameters=PARAMS)
    second = relief_amount(ledger, category=category, cutoff=later, parameters=PARAMS)
    assert first.total <= second.total
