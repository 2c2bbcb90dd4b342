"""Pure rules of the loan year's close (notice 八): the bank's status per contract (审批、放款) and the
reconciliation of the bank's spreadsheet against the portal. No database."""

import datetime
import re

from ..states import (
    BANK_APPROVED,
    BANK_DECLINED,
    DISBURSED,
    RECEIPT_CONFIRMED,
)

# What a bank row says about a contract → the state it asks for.
RESULT_APPROVED = "approved"
RESULT_DECLINED = "declined"
RESULT_DISBURSED = "disbursed"
RESULT_LABELS = {RESULT_APPROVED: "审批通过", RESULT_DECLINED: "审批不通过", RESULT_DISBURSED: "已放款"}
RESULT_WORDS = {
    "审批通过": RESULT_APPROVED,
    "通过": RESULT_APPROVED,
    "已审批": RESULT_APPROVED,
    "审批不通过": RESULT_DECLINED,
    "不通过": RESULT_DECLINED,
    "未通过": RESULT_DECLINED,
    "已放款": RESULT_DISBURSED,
    "放款": RESULT_DISBURSED,
}
RESULT_TARGET = {RESULT_APPROVED: BANK_APPROVED, RESULT_DECLINED: BANK_DECLINED, RESULT_DISBURSED: DISBURSED}

# The moves a result makes from each state the bank may find a contract in; an empty tuple: nothing to do
# (the same result recorded again — importing the same file twice changes nothing).
RESULT_PATHS: dict[str, dict[str, tuple[str, ...]]] = {
    RESULT_APPROVED: {RECEIPT_CONFIRMED: (BANK_APPROVED,), BANK_APPROVED: ()},
    RESULT_DECLINED: {RECEIPT_CONFIRMED: (BANK_DECLINED,), BANK_DECLINED: ()},
    RESULT_DISBURSED: {
        RECEIPT_CONFIRMED: (BANK_APPROVED, DISBURSED),
        BANK_APPROVED: (DISBURSED,),
        DISBURSED: (),
    },
}
NOT_YET_CONFIRMED = frozenset({"draft", "accepted", "returned", "contract_signed", "receipt_entered"})


def result_parse(value) -> str | None:
    """The bank's wording (审批通过 / 审批不通过 / 已放款, or the API's codes) → a result code, else None."""
    text = re.sub(r"\s+", "", str(value or ""))
    if text in RESULT_LABELS:
        return text
    return RESULT_WORDS.get(text)


def amount_parse(value) -> int | None:
    """A whole number of yuan from a cell (a number, or text such as "6,200" / "6200元"); None if not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = re.sub(r"[\s,，元]", "", str(value))
    if not text:
        return None
    if re.fullmatch(r"\d{1,9}(\.0+)?", text):
        return int(float(text))
    return None


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def date_parse(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE_RE.match(re.sub(r"\s+", "", str(value or "")))
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def status_refusal(*, result: str, status: str, status_label: str) -> str | None:
    """Why the bank's result cannot be recorded on a contract in `status` (Chinese), or None."""
    if status in NOT_YET_CONFIRMED:
        return f"该合同的电子回执尚未经县级确认（当前状态：{status_label}），银行不能审批或放款"
    if status not in RESULT_PATHS[result]:
        return f"该合同当前状态为“{status_label}”，不能记录为“{RESULT_LABELS[result]}”"
    return None


def disbursement_errors(
    *,
    signed_amount: int,
    to_university: int | None,
    to_student: int | None,
    disbursed_on: datetime.date | None,
    today: datetime.date,
) -> dict[str, str]:
    """Field → Chinese message for a disbursement (放款): the amount goes to the university's fee account
    and any remainder to the student; together they are the signed amount; the date is not in the future."""
    errors = {}
    if disbursed_on is None:
        errors["disbursed_on"] = "已放款的合同须填写放款日期（如2026-11-15）"
    elif disbursed_on > today:
        errors["disbursed_on"] = f"放款日期{disbursed_on:%Y-%m-%d}晚于今天"
    if to_university is None:
        errors["to_university"] = "已放款的合同须填写划入高校金额（整数元，可为0）"
    if to_student is None:
        errors["to_student"] = "已放款的合同须填写划入学生金额（整数元，可为0）"
    if to_university is not None and to_student is not None and to_university + to_student != signed_amount:
        errors["to_student"] = (
            f"划入高校{to_university}元与划入学生{to_student}元合计{to_university + to_student}元，"
            f"与签约金额{signed_amount}元不一致"
        )
    return errors


def amount_mismatch(*, bank_amount: int, signed_amount: int) -> str | None:
    if bank_amount != signed_amount:
        return f"银行贷款金额{bank_amount}元与系统中的签约金额{signed_amount}元不一致"
    return None
