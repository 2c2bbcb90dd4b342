"""Writes of the relief fund (还款救助资金专账, 第六–七条): accounts, movements, voluntary returns.

Every movement is one FundEntry with its document (凭证/文号) written in the same transaction as the
account's new balance, under the account's row lock (select_for_update); a balance or an owed amount never
goes below zero (ConflictError here, CheckConstraint in the database as the last guard). Several accounts
are always locked in primary-key order, so two payments never deadlock. `fund_books_check` is the books
balance: every account equals the sum of its entries.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.roles import OrgKind, Role

from .models import FundAccount, FundAccountKind, FundEntry, FundEntryKind

ZERO = Decimal("0.00")
PROVINCE = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER})
K = FundAccountKind


def _require_province(actor, business: str) -> None:
    if actor is not None and getattr(actor, "role", None) not in PROVINCE:
        raise PermissionDeniedError(f"只有省资助中心可以办理{business}")


def _amount(value, *, field: str = "amount", positive: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any bad input is the same 400
        raise DomainError("金额不是有效数字", field=field) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise DomainError("金额应为元，最多两位小数", field=field)
    if positive and amount <= 0:
        raise DomainError("金额应大于0", field=field)
    if amount >= Decimal("1e12"):
        raise DomainError("金额过大", field=field)
    return amount.quantize(Decimal("0.01"))


def _document(document: str) -> str:
    document = (document or "").strip()
    if not document:
        raise DomainError("每笔资金变动都要填写凭证或文号", field="document")
    return document[:100]


def fund_account_ensure(*, kind: str, county=None) -> FundAccount:
    """The provincial reserve (county None) or one county's surplus / finance account, created if absent."""
    if kind == K.PROVINCIAL_RESERVE:
        county = None
    elif county is None or getattr(county, "kind", OrgKind.COUNTY) != OrgKind.COUNTY:
        raise DomainError("县级账户需要指定县级资助中心", field="county")
    account, _ = FundAccount.objects.get_or_create(kind=kind, county=county)
    return account


def _move(
    *,
    account: FundAccount,
    kind: str,
    amount: Decimal = ZERO,
    owed_change: Decimal = ZERO,
    document: str,
    actor,
    note: str = "",
    case=None,
    disbursement=None,
    locked: bool = False,
) -> FundEntry:
    """Change one account (already locked when `locked`) and write its entry and audit row."""
    if not locked:
        account = FundAccount.objects.select_for_update().get(pk=account.pk)
    balance = account.balance + amount
    owed = account.owed + owed_change
    if balance < 0:
        raise ConflictError(f"{account}余额不足：余额 {account.balance} 元，需支出 {-amount} 元")
    if owed < 0:
        raise ConflictError(f"{account}应筹未到位金额为 {account.owed} 元，不能冲减 {-owed_change} 元")
    account.balance, account.owed = balance, owed
    account.save(update_fields=["balance", "owed", "updated_at"])
    entry = FundEntry(
        account=account,
        kind=kind,
        amount=amount,
        owed_change=owed_change,
        balance_after=balance,
        document=_document(document),
        note=note[:200],
        case=case,
        disbursement=disbursement,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    entry.full_clean()
    entry.save()
    audit_record(
        actor=actor,
        action=f"relief_fund.{kind}",
        obj=entry,
        old={"balance": str(balance - amount), "owed": str(owed - owed_change)},
        new={"balance": str(balance), "owed": str(owed), "document": entry.document},
        organisation=account.county,
    )
    return entry


@transaction.atomic
def fund_deposit(*, actor, account: FundAccount, amount, document: str, note: str = "") -> FundEntry:
    """资金拨入: money paid into an account (the bank's surplus reward funds, the reserve drawn by the
    province, a county finance transfer is `fund_finance_arrival`)."""
    _require_province(actor, "救助资金拨入")
    if account.kind == K.COUNTY_FINANCE:
        raise DomainError("县级财政资金请按“县级财政到位”登记", field="account")
    return _move(
        account=account,
        kind=FundEntryKind.DEPOSIT,
        amount=_amount(amount),
        document=document,
        actor=actor,
        note=note,
    )


@transaction.atomic
def fund_return_record(
    *, actor, amount, document: str, borrower_name: str, case=None, note: str = ""
) -> FundEntry:
    """返还代偿资金 (鼓励返还): a voluntary return by an aided borrower, into the provincial account."""
    _require_province(actor, "返还代偿资金登记")
    borrower_name = (borrower_name or "").strip()
    if not borrower_name:
        raise DomainError("请填写返还人姓名", field="borrower_name")
    account = fund_account_ensure(kind=K.PROVINCIAL_RESERVE)
    return _move(
        account=account,
        kind=FundEntryKind.RETURN,
        amount=_amount(amount),
        document=document,
        actor=actor,
        note=(f"{borrower_name} 返还代偿资金 {note}".strip())[:200],
        case=case,
    )


@transaction.atomic
def fund_finance_demand(*, actor, county, amount, document: str, note: str = "") -> FundEntry:
    """县级财政应筹: the county finance bureau is asked to raise `amount` (第六条, what the reserve and the
    county's surplus funds cannot pay); tracked as `owed` until it arrives."""
    _require_province(actor, "县级财政筹资通知")
    account = fund_account_ensure(kind=K.COUNTY_FINANCE, county=county)
    return _move(
        account=account,
        kind=FundEntryKind.FINANCE_DEMAND,
        owed_change=_amount(amount),
        document=document,
        actor=actor,
        note=note,
    )


@transaction.atomic
def fund_finance_arrival(*, actor, county, amount, document: str, note: str = "") -> FundEntry:
    """县级财政到位: money from the county finance bureau arrives; what was owed goes down by as much (never
    below zero: an arrival above the demand is simply more money in the account)."""
    _require_province(actor, "县级财政资金到位登记")
    amount = _amount(amount)
    account = FundAccount.objects.select_for_update().get(
        pk=fund_account_ensure(kind=K.COUNTY_FINANCE, county=county).pk
    )
    return _move(
        account=account,
        kind=FundEntryKind.FINANCE_ARRIVAL,
        amount=amount,
        owed_change=-min(amount, account.owed),
        document=document,
        actor=actor,
        note=note,
        locked=True,
    )


def accounts_lock(accounts) -> dict:
    """Lock the accounts in primary-key order (no deadlock between two payments); pk → locked row."""
    pks = sorted({a.pk for a in accounts})
    return {a.pk: a for a in FundAccount.objects.select_for_update().filter(pk__in=pks).order_by("pk")}


def fund_pay(*, actor, split, county, case, disbursement, document: str, locked: dict) -> list[FundEntry]:
    """Draw one case's amount through the waterfall split (第六条) from locked accounts. In the caller's
    transaction; a balance that became too small since the preview raises ConflictError (all rolled back)."""
    entries = []
    for kind, value in (
        (K.PROVINCIAL_RESERVE, split.from_reserve),
        (K.COUNTY_SURPLUS, split.from_surplus),
        (K.COUNTY_FINANCE, split.from_finance),
    ):
        if value <= 0:
            continue
        account = next(
            a
            for a in locked.values()
            if a.kind == kind and (kind == K.PROVINCIAL_RESERVE or a.county_id == county)
        )
        entries.append(
            _move(
                account=account,
                kind=FundEntryKind.PAYMENT,
                amount=-value,
                document=document,
                actor=actor,
                note=f"救助划付 {case.case_no}",
                case=case,
                disbursement=disbursement,
                locked=True,
            )
        )
    return entries


def fund_books_check() -> list[str]:
    """The books balance (账实相符): every account's balance and owed equal the sums of its entries, each
    entry's balance_after is the running balance, nothing is negative. Returns the problems (Chinese)."""
    problems = []
    sums = {
        row["account"]: row
        for row in FundEntry.objects.values("account").annotate(amount=Sum("amount"), owed=Sum("owed_change"))
    }
    for account in FundAccount.objects.select_related("county"):
        row = sums.get(account.pk, {"amount": ZERO, "owed": ZERO})
        if (row["amount"] or ZERO) != account.balance:
            problems.append(f"{account}：余额 {account.balance} 与流水合计 {row['amount'] or ZERO} 不符")
        if (row["owed"] or ZERO) != account.owed:
            problems.append(f"{account}：应筹未到位 {account.owed} 与流水合计 {row['owed'] or ZERO} 不符")
        if account.balance < 0 or account.owed < 0:
            problems.append(f"{account}：出现负数")
        running = ZERO
        for entry in account.entries.order_by("pk").only("amount", "balance_after", "pk"):
            running += entry.amount
            if running != entry.balance_after or running < 0:
                problems.append(
                    f"{account}：流水 {entry.pk} 的变动后余额 {entry.balance_after} 应为 {running}"
                )
                break
    return problems
