"""relief_amounts_10k: the relief amount to the cutoff (RELIEF-AMOUNTS.md) for 10,000 relief cases with 3
contracts each, in seconds. Pure computation, no database.

Data: 30,000 contract ledgers as the bank's JSON (decoded dicts), generated with a fixed seed: rates
repriced every 21 December, a third with overdue principal and interest and accrued penalty, a quarter
graduates settled through 31 August, schedules of 20 December instalments ending on 20 September; each
case a category 1–5 and a received date from the ledger's day up to two years later.

Ours: `repayment_relief.ledger.ledgers_parse` (JSON → validated snapshots) and `rules.relief_amounts`
per case (interval by interval between due days, rate changes and the ledger's day, exact integer
arithmetic) — the figure (wall time, best of 3) includes parsing. `cpu_seconds` is the process CPU time
of that best run (the machine is shared: wall time under load says little), `compute_only_seconds` the
amount function alone on the parsed snapshots.

Baseline (same run, same snapshots): the page's day-by-day reading as one would first write it — one
loop iteration per day from `interest_settled_through + 1` through the cutoff, the rate looked up for
each day, the same exact arithmetic (fen and rate integers, division only when rounding) so both give
the same figures to the fen; the bench checks that they do on every case. The baseline is timed on the
parsed snapshots, so it is compared with ours without parsing as well (`compute_only_ratio`).
"""

import datetime
import os
import random
import time
from decimal import Decimal

from . import common

CASES = int(os.environ.get("BENCH_RELIEF_CASES", "10000"))
CONTRACTS_PER_CASE = 3
SEED = 20261122


def _ledgers(rng: random.Random) -> list[dict]:
    """One case's three contract ledgers (one per school year) as decoded JSON."""
    year = rng.randint(2022, 2027)
    graduate = rng.random() < 0.25
    settled = datetime.date(year, 8, 31) if graduate else datetime.date(year, 12, 20)
    next_due = datetime.date(year, 12, 20) if graduate else datetime.date(year + 1, 12, 20)
    as_of = settled + datetime.timedelta(days=rng.randint(0, (next_due - settled).days - 1))
    rates = []
    rate = Decimal(rng.randint(280, 340)).scaleb(-2)
    for y in range(year - 2, year + 4):
        rates.append({"from": f"{y}-12-21", "annual_rate": str(rate)})
        rate = max(Decimal("1.50"), rate + Decimal(rng.randint(-20, 10)).scaleb(-2))
    ledgers = []
    for index in range(CONTRACTS_PER_CASE):
        instalments = rng.randint(2, 8)
        each = rng.randint(5, 40) * 100
        first = next_due.year + rng.randint(0, 4)
        schedule = [{"due": f"{first + k}-12-20", "principal": f"{each}.00"} for k in range(instalments - 1)]
        schedule.append({"due": f"{first + instalments - 1}-09-20", "principal": f"{each}.00"})
        overdue = []
        penalty = "0.00"
        if rng.random() < 0.35:
            due = f"{settled.year if not graduate else settled.year - 1}-12-20"
            overdue = [
                {"kind": "principal", "due": due, "amount": f"{each}.00"},
                {"kind": "interest", "due": due, "amount": f"{rng.randint(5000, 60000) / 100:.2f}"},
            ]
            penalty = f"{rng.randint(0, 30000) / 100:.2f}"
        outstanding = each * instalments + (each if overdue else 0)
        ledgers.append(
            {
                "contract_no": f"GS{year - index}-{rng.randint(0, 10**8):08d}-{index}",
                "as_of": as_of.isoformat(),
                "interest_settled_through": settled.isoformat(),
                "outstanding_principal": f"{outstanding}.00",
                "rates": rates,
                "overdue": overdue,
                "penalty_accrued": penalty,
                "schedule": schedule,
            }
        )
    return ledgers


def _day_by_day(ledger, *, category, cutoff, parameters) -> tuple[int, ...]:
    """The baseline: the page's three steps once per day (fen and rate integers, exact)."""
    from repayment_relief.ledger import RATE_SCALE
    from repayment_relief.rules import SCOPE_ALL, category_scope

    denominator = 100 * RATE_SCALE * parameters.day_basis
    factor_num, factor_den = parameters.penalty_factor.as_integer_ratio()

    def half_up(num, den):
        return (2 * num + den) // (2 * den)

    overdue_principal = ledger.overdue_principal_fen
    overdue_interest = ledger.overdue_interest_fen
    overdue_sum = overdue_principal + overdue_interest
    normal = ledger.outstanding_fen - overdue_principal
    schedule = dict(zip(ledger.schedule_days, ledger.schedule_fen, strict=True))
    rates = list(zip(ledger.rate_starts, ledger.rate_values, strict=True))
    as_of = ledger.as_of.toordinal()
    last = cutoff.toordinal()
    accrued = penalty = 0
    day = ledger.interest_settled_through.toordinal() + 1
    while day <= last:
        rate = [value for start, value in rates if start <= day][-1]
        accrued += normal * rate
        if day > as_of:
            penalty += overdue_sum * rate
        date = datetime.date.fromordinal(day)
        due = (date.month, date.day) == (
            parameters.settlement_month,
            parameters.settlement_day,
        ) or day in schedule
        if due and day < last:
            instalment = schedule.get(day, 0)
            normal -= instalment
            overdue_principal += instalment
            rounded = half_up(accrued, denominator)
            overdue_interest += rounded
            overdue_sum += instalment + rounded
            accrued = 0
        day += 1
    if category_scope(category) == SCOPE_ALL:
        principal = normal
    else:
        end = parameters.settlement_on(cutoff.year).toordinal()
        principal = sum(fen for due, fen in schedule.items() if last <= due <= end)
    interest = half_up(accrued, denominator)
    penalty = ledger.penalty_accrued_fen + half_up(penalty * factor_num, denominator * factor_den)
    parts = (principal, interest, overdue_principal, overdue_interest, penalty)
    return (*parts, sum(parts))


def run() -> list[dict]:
    from repayment_relief.ledger import ledgers_parse
    from repayment_relief.rules import ReliefParameters, amount_cutoff_date, relief_amounts

    rng = random.Random(SEED)
    parameters = ReliefParameters(
        penalty_factor=Decimal("1.3"), day_basis=360, settlement_month=12, settlement_day=20
    )
    cases = []
    for _ in range(CASES):
        ledgers = _ledgers(rng)
        as_of = datetime.date.fromisoformat(ledgers[0]["as_of"])
        received = as_of + datetime.timedelta(days=rng.randint(0, 730))
        cases.append((ledgers, rng.choice(["1", "2", "3", "4", "5a", "5b"]), amount_cutoff_date(received)))

    best = best_cpu = None
    for _ in range(3):  # best of 3: the machine is shared
        cpu_start = time.process_time()
        with common.stopwatch() as watch:
            ours = [
                relief_amounts(
                    ledgers_parse(ledgers), category=category, cutoff=cutoff, parameters=parameters
                )
                for ledgers, category, cutoff in cases
            ]
        cpu = time.process_time() - cpu_start
        best = watch.seconds if best is None else min(best, watch.seconds)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)

    parsed = [(ledgers_parse(ledgers), category, cutoff) for ledgers, category, cutoff in cases]
    compute_only = None
    for _ in range(3):
        with common.stopwatch() as watch:
            for snapshots, category, cutoff in parsed:
                relief_amounts(snapshots, category=category, cutoff=cutoff, parameters=parameters)
        compute_only = watch.seconds if compute_only is None else min(compute_only, watch.seconds)

    with common.stopwatch() as baseline_watch:
        baseline = [
            [
                _day_by_day(snapshot, category=category, cutoff=cutoff, parameters=parameters)
                for snapshot in snapshots
            ]
            for snapshots, category, cutoff in parsed
        ]

    mismatches = 0
    for (amounts, _total), expected in zip(ours, baseline, strict=True):
        for amount, parts in zip(amounts, expected, strict=True):
            got = tuple(
                int(getattr(amount, p).scaleb(2))
                for p in (
                    "principal",
                    "interest",
                    "overdue_principal",
                    "overdue_interest",
                    "penalty",
                    "total",
                )
            )
            mismatches += got != parts
    if mismatches:
        raise AssertionError(f"relief_amounts_10k: {mismatches} contracts differ from the day-by-day reading")

    return [
        common.result(
            "relief_amounts_10k",
            best,
            "s",
            "day-by-day loop per contract (same exact arithmetic), on parsed ledgers",
            baseline_watch.seconds,
            higher_is_better=False,
            cases=CASES,
            contracts=CASES * CONTRACTS_PER_CASE,
            cpu_seconds=round(best_cpu, 3),
            compute_only_seconds=round(compute_only, 3),
            compute_only_ratio=round(baseline_watch.seconds / compute_only, 2),
            identical_to_the_fen=True,
            target_seconds=2.0,
        )
    ]
