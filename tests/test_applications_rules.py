"""Pure rules of the first-loan application: defaults per loan year, amounts, co-borrower age, receipt
codes (ISO 7064 MOD 37,36 check character), the transitions map."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.rules import lifecycle as rules


@pytest.mark.parametrize(
    ("year", "undergraduate", "graduate", "spread"),
    [
        (2014, 8000, 12000, None),
        (2019, 8000, 12000, None),
        (2020, 8000, 12000, -30),
        (2021, 12000, 16000, -30),
        (2022, 12000, 16000, -30),
        (2023, 16000, 20000, -60),
        (2024, 20000, 25000, -70),
        (2026, 20000, 25000, -70),
    ],
)
def test_policy_defaults_follow_the_national_table(year, undergraduate, graduate, spread):
    """DESIGN.md policy table: limits 8,000 (2014–2020) · 12,000 (2021) · 16,000 (2023) · 20,000 (autumn
    2024 on); graduate 12,000 · 16,000 · 20,000 · 25,000; minimum 1,000; LPR − 30/60/70 bp."""
    defaults = rules.policy_defaults(year)
    assert (defaults.undergraduate_limit, defaults.graduate_limit) == (undergraduate, graduate)
    assert defaults.minimum_amount == 1000
    assert defaults.rate_spread_bp == spread
    if spread is None:
        assert "基准利率" in defaults.rate_rule


def test_amount_rules_limit_and_minimum():
    kwargs = {"limit": 20000, "minimum": 1000, "level_label": "本科"}
    assert rules.amount_errors(tuition=15000, accommodation=5000, **kwargs) == {}
    assert "超过" in rules.amount_errors(tuition=15000, accommodation=5001, **kwargs)["tuition_amount"]
    assert "低于最低金额" in rules.amount_errors(tuition=900, accommodation=0, **kwargs)["tuition_amount"]
    assert rules.amount_errors(tuition=1000, accommodation=0, **kwargs) == {}


@pytest.mark.parametrize(
    ("relationship", "birth", "ok"),
    [
        ("father", datetime.date(2010, 1, 1), True),  # a parent: no age rule
        ("guardian", datetime.date(2008, 8, 3), True),  # 18 on the application day itself
        ("guardian", datetime.date(2008, 8, 4), False),  # 18 the next day
        ("other", datetime.date(2009, 1, 1), False),
        ("spouse", datetime.date(1990, 1, 1), True),
    ],
)
def test_non_parent_co_borrower_must_be_adult(relationship, birth, ok):
    """A co-borrower who is not the father or mother is 18+ on the application date (ID birth date)."""
    error = rules.co_borrower_age_error(
        relationship=relationship, birth_date=birth, on=datetime.date(2026, 8, 3)
    )
    assert (error is None) is ok


def test_receipt_codes_are_valid_random_and_readable():
    codes = {rules.receipt_code_generate() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 10
        assert rules.receipt_code_is_valid(code)
        assert not set(code[:9]) & set("01OI")
    code = next(iter(codes))
    assert rules.receipt_code_is_valid(rules.receipt_code_display(code).lower())


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_character_typo_of_a_receipt_code_is_refused(data):
    """回执码 carry a check character: every single-character substitution is detected."""
    code = rules.receipt_code_generate()
    position = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    typo = code[:position] + replacement + code[position + 1 :]
    assert not rules.receipt_code_is_valid(typo)


def test_adjacent_transpositions_are_refused():
    code = rules.receipt_code_generate()
    for i in range(len(code) - 1):
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        if swapped != code:
            assert not rules.receipt_code_is_valid(swapped)


def test_contract_number_format():
    assert (
        rules.contract_number_format(year=2026, county_code="620123", sequence=17) == "2026620123" + "00017"
    )


def test_transition_map_covers_every_state_and_terminal_states_are_final():
    from applications.models import ApplicationStatus

    assert set(rules.ALLOWED_TRANSITIONS) == set(ApplicationStatus.values)
    for terminal in ("rejected", "archived"):
        assert rules.ALLOWED_TRANSITIONS[terminal] == frozenset()
    assert {"returned", "rejected", "withdrawn"} <= rules.REASON_REQUIRED
