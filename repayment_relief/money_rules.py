"""Pure rules of relief money, no database: the waterfall (第六条) and the priority order when funds are
short (第十七条). The services and the preview page call these; nothing else re-encodes them."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from .categories import priority_of as priority_group  # 第十七条: 1–2 → 1, 3–4 → 2, 5 → 3

ZERO = Decimal("0.00")


def priority_key(*, category: str, handed_over_on: datetime.date | None, case_no: str) -> tuple:
    """Sort key of the payment order: the category group (第十七条), then the hand-over date (earlier
    first), then the case number (a stable tie-break)."""
    return (priority_group(category), handed_over_on or datetime.date.max, case_no)


@dataclass(frozen=True)
class Split:
    """What each account pays of one case's amount (第六条); `short` is what none of them can pay now."""

    from_reserve: Decimal
    from_surplus: Decimal
    from_finance: Decimal
    short: Decimal

    @property
    def funded(self) -> bool:
        return self.short == ZERO


def waterfall_split(amount: Decimal, *, reserve: Decimal, surplus: Decimal, finance: Decimal) -> Split:
    """第六条: first the provincial reserve, then the county's surplus reward funds, the rest from the
    county finance bureau's funds that have arrived. Never draws more than an account holds."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    from_reserve = min(amount, max(reserve, ZERO))
    rest = amount - from_reserve
    from_surplus = min(rest, max(surplus, ZERO))
    rest -= from_surplus
    from_finance = min(rest, max(finance, ZERO))
    return Split(from_reserve, from_surplus, from_finance, rest - from_finance)


@dataclass(frozen=True)
class Candidate:
    """A case ready to be paid: its accepted amount (附件6), county, category and hand-over date."""

    key: object  # the case's pk (or anything identifying it)
    case_no: str
    county: object  # the county's pk
    category: str
    handed_over_on: datetime.date | None
    amount: Decimal


@dataclass
class Allocation:
    """The preview of a disbursement: cases paid in priority order while the money lasts."""

    paid: list = field(default_factory=list)  # [(Candidate, Split, priority position)]
    waiting: list = field(default_factory=list)  # [(Candidate, Split)] — short; the county finance must raise
    reserve_left: Decimal = ZERO
    surplus_left: dict = field(default_factory=dict)
    finance_left: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c, _, _ in self.paid), ZERO)

    @property
    def finance_to_raise(self) -> dict:
        """County → what its finance bureau must still raise so that every waiting case can be paid (第六条):
        the waiting cases, in priority order, take what is left in the accounts after the paid ones."""
        reserve = self.reserve_left
        surplus = dict(self.surplus_left)
        finance = dict(self.finance_left)
        owed: dict = {}
        for candidate, _ in self.waiting:
            split = waterfall_split(
                candidate.amount,
                reserve=reserve,
                surplus=surplus.get(candidate.county, ZERO),
                finance=finance.get(candidate.county, ZERO),
            )
            reserve -= split.from_reserve
            surplus[candidate.county] = surplus.get(candidate.county, ZERO) - split.from_surplus
            finance[candidate.county] = finance.get(candidate.county, ZERO) - split.from_finance
            owed[candidate.county] = owed.get(candidate.county, ZERO) + split.short
        return owed


def allocate(candidates: list[Candidate], *, reserve: Decimal, surplus: dict, finance: dict) -> Allocation:
    """Pay the candidates in priority order (第十七条), each through the waterfall (第六条) with what is
    left after the cases before it. A case the accounts cannot pay in full waits (nothing partial): it
    is not paid in this batch and its shortfall is what its county's finance bureau must raise; cases
    after it may still be paid from what is left (another county's funds, a smaller amount)."""
    ordered = sorted(
        candidates,
        key=lambda c: priority_key(category=c.category, handed_over_on=c.handed_over_on, case_no=c.case_no),
    )
    surplus_left = dict(surplus)
    finance_left = dict(finance)
    result = Allocation()
    for candidate in ordered:
        split = waterfall_split(
            candidate.amount,
            reserve=reserve,
            surplus=surplus_left.get(candidate.county, ZERO),
            finance=finance_left.get(candidate.county, ZERO),
        )
        if not split.funded:
            result.waiting.append((candidate, split))
            continue
        reserve -= split.from_reserve
        surplus_left[candidate.county] = surplus_left.get(candidate.county, ZERO) - split.from_surplus
        finance_left[candidate.county] = finance_left.get(candidate.county, ZERO) - split.from_finance
        result.paid.append((candidate, split, len(result.paid) + 1))
    result.reserve_left = reserve
    result.surplus_left = surplus_left
    result.finance_left = finance_left
    return result
