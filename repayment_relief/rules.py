"""Pure policy functions of repayment relief (还款救助), no database."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .ledger import RATE_SCALE, LedgerError, LedgerSnapshot


def amount_cutoff_date(received_on: datetime.date) -> datetime.date:
    """救助金额计算截止日 — relief measures art. 21(二).

    By the day the bank receives the relief materials:
    - received on day 1–15 of a month (15th included) → the 20th of that month;
    - received on day 16 or later → the 20th of the next month;
    - received 16 October – 15 December (both included) → 20 December of that year
      (the bank's settlement calendar: the 20 December repayment day);
    - received 16–31 December → 20 January of the next year (the general "next month" rule).
    """
    year, month, day = received_on.year, received_on.month, received_on.day
    if (month == 10 and day >= 16) or month == 11 or (month == 12 and day <= 15):
        return datetime.date(year, 12, 20)
    if day <= 15:
        return datetime.date(year, month, 20)
    if month == 12:
        return datetime.date(year + 1, 1, 20)
    return datetime.date(year, month + 1, 20)


# --- the relief amount to the cutoff (art. 21(二), art. 18) ---------------------------------------
# The reading is ../shared/RELIEF-AMOUNTS.md (docs/relief.md). It is defined day by day; this function
# computes the same thing interval by interval (between due days, rate changes and the ledger's date) in
# exact integer arithmetic: amounts in fen, rates in millionths of a percent, so the only rounding is the
# page's half-up at the fen when accrued interest becomes overdue and for each part at the end.

SCOPE_ALL = "all"  # art. 18: categories 1–2, everything outstanding at once
SCOPE_CURRENT_YEAR = (
    "current_year"  # art. 18: categories 3–5, this repayment year's due principal and interest
)
CATEGORY_SCOPES = {"1": SCOPE_ALL, "2": SCOPE_ALL, "3": SCOPE_CURRENT_YEAR, "4": SCOPE_CURRENT_YEAR}
CATEGORY_SCOPES |= {"5": SCOPE_CURRENT_YEAR, "5a": SCOPE_CURRENT_YEAR, "5b": SCOPE_CURRENT_YEAR}


@dataclass(frozen=True, slots=True)
class ReliefParameters:
    """The loan year's parameters the amount needs (applications.LoanPolicy): penalty interest factor on
    the contract rate (1.3), the day basis of the annual rate (360) and the settlement day (20 December)."""

    penalty_factor: Decimal
    day_basis: int
    settlement_month: int
    settlement_day: int

    def __post_init__(self):
        if not isinstance(self.penalty_factor, Decimal) or not self.penalty_factor.is_finite():
            raise LedgerError("罚息倍数应为有效数字")
        if self.penalty_factor < 0 or self.day_basis <= 0:
            raise LedgerError("罚息倍数不能为负数，计息天数基数应为正整数")
        datetime.date(2001, self.settlement_month, self.settlement_day)  # ValueError for 2/30 etc.

    def settlement_on(self, year: int) -> datetime.date:
        return datetime.date(year, self.settlement_month, self.settlement_day)


@dataclass(frozen=True, slots=True)
class ReliefAmount:
    """One contract's relief amount at the cutoff, each part rounded half up to the fen."""

    contract_no: str
    principal: Decimal
    interest: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty: Decimal
    total: Decimal

    PARTS = ("principal", "interest", "overdue_principal", "overdue_interest", "penalty", "total")

    def to_json(self) -> dict:
        return {"contract_no": self.contract_no, **{p: f"{getattr(self, p):.2f}" for p in self.PARTS}}


def category_scope(category) -> str:
    """Art. 18: SCOPE_ALL for categories 1–2, SCOPE_CURRENT_YEAR for 3–5 (5a/5b are category 5)."""
    scope = CATEGORY_SCOPES.get(str(category).strip().lower())
    if scope is None:
        raise LedgerError(f"救助类别应为 1–5（第五类可写 5a/5b），收到“{category}”", field="category")
    return scope


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (both ≥ 0) rounded half up to an integer, exactly."""
    return (2 * numerator + denominator) // (2 * denominator)


def _money(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def relief_amount(
    ledger: LedgerSnapshot, *, category, cutoff: datetime.date, parameters: ReliefParameters
) -> ReliefAmount:
    """The relief amount of one contract through the cutoff `cutoff` inclusive (art. 21(二), art. 18).

    Refuses (LedgerError) a ledger dated after the cutoff, or one where a due day (a settlement day or an
    instalment) lies after `interest_settled_through` and on or before `as_of`: the bank settles it first.
    """
    scope = category_scope(category)
    settled = ledger.interest_settled_through
    as_of = ledger.as_of
    if as_of > cutoff:
        raise LedgerError(
            f"合同{ledger.contract_no}：台账日期 {as_of} 晚于计算截止日 {cutoff}，请使用截止日前的台账"
        )
    year = settled.year
    settlement = parameters.settlement_on(year)
    if settlement <= settled:
        year += 1
        settlement = parameters.settlement_on(year)
    if settlement <= as_of:
        raise LedgerError(
            f"合同{ledger.contract_no}：结息日 {settlement} 在利息结算日 {settled} 之后、台账日期 {as_of} 之前（含），"
            "请银行先结清该期再提供台账"
        )
    # (instalments on or before as_of are refused by LedgerSnapshot itself)

    first = settled.toordinal() + 1
    last = cutoff.toordinal()
    # Due days before the cutoff: settlement days and instalments. Each maps to the principal falling due.
    due: dict[int, int] = {}
    while True:
        day = settlement.toordinal()
        if day >= last:
            break
        due[day] = 0
        year += 1
        settlement = parameters.settlement_on(year)
    for day, fen in zip(ledger.schedule_days, ledger.schedule_fen, strict=True):
        if day < last:
            due[day] = due.get(day, 0) + fen

    # Rate in force on the first day, and the later changes up to the cutoff.
    starts, values = ledger.rate_starts, ledger.rate_values
    rate = None
    changes: dict[int, int] = {}
    for start, value in zip(starts, values, strict=True):
        if start <= first:
            rate = value
        elif start <= last:
            changes[start] = value
    if rate is None and first <= last:
        raise LedgerError(
            f"合同{ledger.contract_no}：利率表中没有 {datetime.date.fromordinal(first)} 适用的利率（最早起始日"
            f" {datetime.date.fromordinal(starts[0])}）"
        )

    penalty_from = as_of.toordinal() + 1
    normal = ledger.outstanding_fen - ledger.overdue_principal_fen
    overdue_principal = ledger.overdue_principal_fen
    overdue_interest = ledger.overdue_interest_fen
    overdue_sum = overdue_principal + overdue_interest
    interest_num = 0  # Σ normal fen × rate × days, not yet due
    penalty_num = 0  # Σ overdue fen × rate × days after as_of
    denominator = 100 * RATE_SCALE * parameters.day_basis  # rate is percent × 10**6, per day_basis days

    # Boundaries: the first day of each new segment (day after a due day, a rate change, penalty start).
    boundaries = {day + 1 for day in due}
    boundaries.update(changes)
    if first < penalty_from <= last:
        boundaries.add(penalty_from)
    boundaries.add(last + 1)
    start = first
    for boundary in sorted(boundaries):
        if boundary <= start:
            continue
        days = boundary - start
        interest_num += normal * rate * days
        if start >= penalty_from:  # the whole segment is after as_of (penalty_from is a boundary)
            penalty_num += overdue_sum * rate * days
        if boundary > last:
            break
        falling = due.get(boundary - 1)
        if falling is not None:  # end of a due day before the cutoff
            normal -= falling
            overdue_principal += falling
            interest_fen = _round_half_up(interest_num, denominator)
            overdue_interest += interest_fen
            overdue_sum += falling + interest_fen
            interest_num = 0
        rate = changes.get(boundary, rate)
        start = boundary

    if scope == SCOPE_ALL:
        principal = normal
    else:
        end = parameters.settlement_on(cutoff.year)
        if end < cutoff:
            end = parameters.settlement_on(cutoff.year + 1)
        end_day = end.toordinal()
        principal = sum(
            fen
            for day, fen in zip(ledger.schedule_days, ledger.schedule_fen, strict=True)
            if last <= day <= end_day
        )
    interest = _round_half_up(interest_num, denominator)
    factor_num, factor_den = parameters.penalty_factor.as_integer_ratio()
    penalty = ledger.penalty_accrued_fen + _round_half_up(penalty_num * factor_num, denominator * factor_den)
    total = principal + interest + overdue_principal + overdue_interest + penalty
    return ReliefAmount(
        contract_no=ledger.contract_no,
        principal=_money(principal),
        interest=_money(interest),
        overdue_principal=_money(overdue_principal),
        overdue_interest=_money(overdue_interest),
        penalty=_money(penalty),
        total=_money(total),
    )


def relief_amounts(
    ledgers, *, category, cutoff: datetime.date, parameters: ReliefParameters
) -> tuple[list[ReliefAmount], Decimal]:
    """A case's contracts → (amount per contract, the case's total)."""
    amounts = [
        relief_amount(ledger, category=category, cutoff=cutoff, parameters=parameters) for ledger in ledgers
    ]
    return amounts, sum((a.total for a in amounts), Decimal("0.00"))
