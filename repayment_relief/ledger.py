"""A contract's ledger snapshot from the bank (贷款台账), as ../shared/RELIEF-AMOUNTS.md defines its JSON.

Pure: no database. `ledger_parse` turns one JSON object into a frozen `LedgerSnapshot` and refuses bad
input with a clear Chinese message naming the contract and the field; the snapshot checks its own
consistency when built, so a snapshot made in code is held to the same rules as a parsed one. The checks
that depend on the cutoff and the policy parameters (a due day inside the ledger's settled window, a
ledger dated after the cutoff) belong to `rules.relief_amount`.
"""

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from loanportal.errors import DomainError

OVERDUE_KINDS = {"principal": "本金", "interest": "利息"}
AMOUNT_PLACES = 2  # fen
RATE_PLACES = 6  # annual rate in percent, e.g. "2.80" or "3.0500"
RATE_SCALE = 10**RATE_PLACES
_FIRST = itemgetter(0)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
REQUIRED_FIELDS = (
    "contract_no",
    "as_of",
    "interest_settled_through",
    "outstanding_principal",
    "rates",
    "overdue",
    "penalty_accrued",
    "schedule",
)
FIELD_LABELS = {
    "contract_no": "合同号",
    "as_of": "台账日期",
    "interest_settled_through": "利息结算至",
    "outstanding_principal": "未还本金",
    "rates": "利率",
    "overdue": "逾期项目",
    "penalty_accrued": "已计罚息",
    "schedule": "还款计划",
    "from": "起始日",
    "annual_rate": "年利率",
    "kind": "类别",
    "due": "到期日",
    "amount": "金额",
    "principal": "应还本金",
}


class LedgerError(DomainError):
    """The ledger cannot be used as it is (the bank must correct or settle it first)."""


def _label(name: str) -> str:
    return f"{FIELD_LABELS.get(name, name)}（{name}）"


class RateEntry(NamedTuple):
    """From `start` on (the ledger's `from`), the contract's annual rate in percent."""

    start: datetime.date
    annual_rate: Decimal


class OverdueItem(NamedTuple):
    kind: str  # "principal" | "interest"
    due: datetime.date
    amount: Decimal


class Instalment(NamedTuple):
    due: datetime.date
    principal: Decimal


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """One contract's ledger at `as_of` (RELIEF-AMOUNTS.md). Rates and schedule are kept sorted by date.

    The integer fields (fen, rate in millionths of a percent) are derived once here so the amount function
    does exact integer arithmetic without converting on every call.
    """

    contract_no: str
    as_of: datetime.date
    interest_settled_through: datetime.date
    outstanding_principal: Decimal
    rates: tuple[RateEntry, ...]
    overdue: tuple[OverdueItem, ...]
    penalty_accrued: Decimal
    schedule: tuple[Instalment, ...]
    # derived (fen; rates × 10**6)
    outstanding_fen: int = field(init=False, repr=False, compare=False)
    overdue_principal_fen: int = field(init=False, repr=False, compare=False)
    overdue_interest_fen: int = field(init=False, repr=False, compare=False)
    penalty_accrued_fen: int = field(init=False, repr=False, compare=False)
    rate_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)  # ordinals
    rate_values: tuple[int, ...] = field(init=False, repr=False, compare=False)
    schedule_days: tuple[int, ...] = field(init=False, repr=False, compare=False)  # ordinals
    schedule_fen: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        where = f"合同{self.contract_no}"
        if not isinstance(self.contract_no, str) or not self.contract_no.strip():
            raise LedgerError(f"{_label('contract_no')}不能为空")
        rates = tuple(sorted(self.rates, key=_FIRST))
        schedule = tuple(sorted(self.schedule, key=_FIRST))
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "schedule", schedule)
        object.__setattr__(self, "overdue", tuple(self.overdue))

        outstanding = _fen(self.outstanding_principal, where, "outstanding_principal")
        penalty = _fen(self.penalty_accrued, where, "penalty_accrued")
        overdue_principal = overdue_interest = 0
        for item in self.overdue:
            if item.kind not in OVERDUE_KINDS:
                raise LedgerError(
                    f"{where}：逾期项目的{_label('kind')}应为 principal 或 interest，收到“{item.kind}”"
                )
            amount = _fen(item.amount, where, "overdue.amount")
            if item.due > self.as_of:
                raise LedgerError(
                    f"{where}：逾期项目的到期日 {item.due} 晚于台账日期 {self.as_of}，尚未到期的款项不能列为逾期"
                )
            if item.kind == "principal":
                overdue_principal += amount
            else:
                overdue_interest += amount
        if overdue_principal > outstanding:
            raise LedgerError(
                f"{where}：逾期本金合计 {_yuan(overdue_principal)} 超过未还本金 {_yuan(outstanding)}"
            )

        if not rates:
            raise LedgerError(f"{where}：{_label('rates')}至少要有一条")
        starts = [r.start.toordinal() for r in rates]
        if len(set(starts)) != len(starts):
            raise LedgerError(f"{where}：{_label('rates')}中有重复的起始日")
        values = []
        for entry in rates:
            value = _scaled(entry.annual_rate, RATE_PLACES, where, "rates.annual_rate")
            if value >= 100 * RATE_SCALE:
                raise LedgerError(f"{where}：年利率 {entry.annual_rate}% 不合理（应为百分数，如 2.80）")
            values.append(value)

        days = [i.due.toordinal() for i in schedule]
        if len(set(days)) != len(days):
            raise LedgerError(f"{where}：{_label('schedule')}中有重复的到期日")
        schedule_fen = [_fen(i.principal, where, "schedule.principal") for i in schedule]
        settled = self.interest_settled_through
        if schedule:  # sorted: the first instalment is the one that could be due already
            due = schedule[0].due
            if settled < due <= self.as_of:
                raise LedgerError(
                    f"{where}：到期日 {due} 在利息结算日 {settled} 之后、台账日期 {self.as_of} 之前（含），"
                    "请银行先结清该期再提供台账"
                )
            if due <= settled:
                raise LedgerError(
                    f"{where}：还款计划只列尚未到期的期次，到期日 {due} 不晚于利息结算日 {settled}"
                )
        if sum(schedule_fen) != outstanding - overdue_principal:
            raise LedgerError(
                f"{where}：还款计划本金合计 {_yuan(sum(schedule_fen))} 与正常本金（未还本金减逾期本金）"
                f"{_yuan(outstanding - overdue_principal)} 不符"
            )

        derived = {
            "outstanding_fen": outstanding,
            "overdue_principal_fen": overdue_principal,
            "overdue_interest_fen": overdue_interest,
            "penalty_accrued_fen": penalty,
            "rate_starts": tuple(starts),
            "rate_values": tuple(values),
            "schedule_days": tuple(days),
            "schedule_fen": tuple(schedule_fen),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def to_json(self) -> dict:
        """The ledger's JSON object (RELIEF-AMOUNTS.md), amounts as strings."""
        return {
            "contract_no": self.contract_no,
            "as_of": self.as_of.isoformat(),
            "interest_settled_through": self.interest_settled_through.isoformat(),
            "outstanding_principal": str(self.outstanding_principal),
            "rates": [{"from": r.start.isoformat(), "annual_rate": str(r.annual_rate)} for r in self.rates],
            "overdue": [
                {"kind": o.kind, "due": o.due.isoformat(), "amount": str(o.amount)} for o in self.overdue
            ],
            "penalty_accrued": str(self.penalty_accrued),
            "schedule": [{"due": i.due.isoformat(), "principal": str(i.principal)} for i in self.schedule],
        }


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _scaled(value, places: int, where: str, name: str) -> int:
    """A non-negative Decimal with at most `places` decimals → the integer value × 10**places."""
    found = _scaled_or_problem(value, places) if isinstance(value, Decimal) else "不是有效数字"
    if type(found) is str:
        raise LedgerError(f"{where}：{_label(name.split('.')[-1])}{found}")
    return found


@lru_cache(maxsize=8192)
def _scaled_or_problem(value: Decimal, places: int) -> int | str:
    if not value.is_finite():
        return "不是有效数字"
    if value < 0:
        return f"不能为负数（收到 {value}）"
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        return f"最多{places}位小数（收到 {value}）"
    return int(scaled)


def _fen(value, where: str, name: str) -> int:
    found = _scaled_or_problem(value, AMOUNT_PLACES) if type(value) is Decimal else None
    if type(found) is int:
        return found
    return _scaled(value, AMOUNT_PLACES, where, name)  # raises with the message


# --- JSON → snapshot ------------------------------------------------------------------------------


class _NotPlain(Exception):
    """The fast path met something it does not handle; the careful path decides and explains."""


def _plain_date(text) -> datetime.date:
    found = _date_from_text(text) if type(text) is str else None
    if found is None:
        raise _NotPlain
    return found


def _plain_decimal(text) -> Decimal:
    found = _decimal_from_text(text) if type(text) is str else None
    if found is None:
        raise _NotPlain
    return found


def ledger_parse(data, *, position: int | None = None) -> LedgerSnapshot:
    """One ledger JSON object (already decoded) → `LedgerSnapshot`; `LedgerError` in Chinese otherwise.

    Amounts may be strings ("16000.00"), integers or Decimals (decode JSON with parse_float=Decimal);
    binary floats are refused because they cannot hold fen exactly. Unknown keys are ignored.
    """
    # Fast path for the usual ledger (every value a well-formed string): no bookkeeping for messages.
    # Anything else, valid or not, goes the careful way below, which gives the message.
    try:
        return LedgerSnapshot(
            contract_no=data["contract_no"].strip(),
            as_of=_plain_date(data["as_of"]),
            interest_settled_through=_plain_date(data["interest_settled_through"]),
            outstanding_principal=_plain_decimal(data["outstanding_principal"]),
            rates=tuple(
                [RateEntry(_plain_date(r["from"]), _plain_decimal(r["annual_rate"])) for r in data["rates"]]
            ),
            overdue=tuple(
                [
                    OverdueItem(o["kind"], _plain_date(o["due"]), _plain_decimal(o["amount"]))
                    for o in data["overdue"]
                ]
            ),
            penalty_accrued=_plain_decimal(data["penalty_accrued"]),
            schedule=tuple(
                [Instalment(_plain_date(i["due"]), _plain_decimal(i["principal"])) for i in data["schedule"]]
            ),
        )
    except Exception:  # noqa: BLE001 - any surprise is explained by the careful path
        return _ledger_parse_careful(data, position=position)


def _ledger_parse_careful(data, *, position: int | None) -> LedgerSnapshot:
    prefix = f"第{position}个合同" if position is not None else "合同台账"
    if not isinstance(data, Mapping):
        raise LedgerError(f"{prefix}应为 JSON 对象")
    contract_no = data.get("contract_no")
    if isinstance(contract_no, str) and contract_no.strip():
        where = f"{prefix}（{contract_no.strip()}）" if position is not None else f"合同{contract_no.strip()}"
    else:
        where = prefix
    missing = [name for name in REQUIRED_FIELDS if name not in data or data[name] is None]
    if missing:
        raise LedgerError(f"{where}：缺少字段 " + "、".join(_label(name) for name in missing))
    if not isinstance(contract_no, str) or not contract_no.strip():
        raise LedgerError(f"{where}：{_label('contract_no')}应为非空字符串")
    for name in ("rates", "overdue", "schedule"):
        if not isinstance(data[name], list):
            raise LedgerError(f"{where}：{_label(name)}应为列表")

    def entry(item, name: str, index: int, keys: tuple[str, ...]) -> Mapping:
        if not isinstance(item, dict) and not isinstance(item, Mapping):
            raise LedgerError(f"{where}：{_label(name)}第{index}项应为 JSON 对象")
        for key in keys:
            if item.get(key) is None:
                absent = [k for k in keys if item.get(k) is None]
                raise LedgerError(
                    f"{where}：{_label(name)}第{index}项缺少字段 " + "、".join(_label(k) for k in absent)
                )
        return item

    # The message's place is a tuple (list name, index, key) formatted only when a value is refused.
    rates = []
    for index, item in enumerate(data["rates"], start=1):
        item = entry(item, "rates", index, ("from", "annual_rate"))
        rates.append(
            RateEntry(
                start=_date(item["from"], where, ("rates", index, "from")),
                annual_rate=_decimal(item["annual_rate"], where, ("rates", index, "annual_rate")),
            )
        )
    overdue = []
    for index, item in enumerate(data["overdue"], start=1):
        item = entry(item, "overdue", index, ("kind", "due", "amount"))
        overdue.append(
            OverdueItem(
                kind=str(item["kind"]),
                due=_date(item["due"], where, ("overdue", index, "due")),
                amount=_decimal(item["amount"], where, ("overdue", index, "amount")),
            )
        )
    schedule = []
    for index, item in enumerate(data["schedule"], start=1):
        item = entry(item, "schedule", index, ("due", "principal"))
        schedule.append(
            Instalment(
                due=_date(item["due"], where, ("schedule", index, "due")),
                principal=_decimal(item["principal"], where, ("schedule", index, "principal")),
            )
        )
    try:
        return LedgerSnapshot(
            contract_no=contract_no.strip(),
            as_of=_date(data["as_of"], where, ("as_of",)),
            interest_settled_through=_date(
                data["interest_settled_through"], where, ("interest_settled_through",)
            ),
            outstanding_principal=_decimal(data["outstanding_principal"], where, ("outstanding_principal",)),
            rates=tuple(rates),
            overdue=tuple(overdue),
            penalty_accrued=_decimal(data["penalty_accrued"], where, ("penalty_accrued",)),
            schedule=tuple(schedule),
        )
    except LedgerError as exc:
        if position is None:
            raise
        # The snapshot names the contract; in a list, also say which entry it is.
        raise LedgerError(f"第{position}个合同 · {exc.message}") from exc


def ledgers_parse(data) -> tuple[LedgerSnapshot, ...]:
    """A case's ledgers: a non-empty JSON list of contract ledgers with distinct contract numbers."""
    if not isinstance(data, list) or not data:
        raise LedgerError("台账文件应为合同台账的 JSON 列表（至少一个合同）")
    ledgers = tuple(ledger_parse(item, position=index) for index, item in enumerate(data, start=1))
    seen = set()
    for index, ledger in enumerate(ledgers, start=1):
        if ledger.contract_no in seen:
            raise LedgerError(f"第{index}个合同：合同号 {ledger.contract_no} 重复")
        seen.add(ledger.contract_no)
    return ledgers


def _what(place: tuple) -> str:
    if len(place) == 1:
        return _label(place[0])
    name, index, key = place
    return f"{_label(name)}第{index}项的{_label(key)}"


@lru_cache(maxsize=8192)
def _date_from_text(text: str) -> datetime.date | None:
    text = text.strip()
    if not _DATE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _decimal_from_text(text: str) -> Decimal | None:
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def _date(value, where: str, place: tuple) -> datetime.date:
    if type(value) is str:
        found = _date_from_text(value)
        if found is not None:
            return found
    raise LedgerError(f"{where}：{_what(place)}应为 YYYY-MM-DD 格式的有效日期（收到“{value}”）")


def _decimal(value, where: str, place: tuple) -> Decimal:
    if type(value) is str:
        found = _decimal_from_text(value)
        if found is not None:
            return found
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, Decimal) and value.is_finite():
        return value
    elif isinstance(value, float):
        raise LedgerError(f'{where}：{_what(place)}请写成字符串（如 "4000.00"），不能用浮点数')
    raise LedgerError(f"{where}：{_what(place)}不是有效数字（收到“{value}”）")
