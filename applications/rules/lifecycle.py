"""Pure policy rules of the first-loan application (首贷申请): policy defaults per loan year, amounts,
co-borrower age, receipt codes, the allowed-transitions map and who may make each move. No database."""

import datetime
import secrets
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES, Role

from .refusals import CONFLICT, Refusal

# --- policy parameters per loan year (DESIGN.md "Policy parameters") ------------------------------


@dataclass(frozen=True)
class PolicyDefaults:
    undergraduate_limit: int
    graduate_limit: int
    minimum_amount: int
    rate_rule: str
    rate_spread_bp: int | None  # None: the benchmark rate, not an LPR spread
    effective_from: datetime.date


MINIMUM_AMOUNT = 1000


def policy_defaults(year: int) -> PolicyDefaults:
    """The defaults of loan year `year` from the national notices (DESIGN.md table).

    Limits (undergraduate/vocational · graduate): 8,000 · 12,000 up to 2020; 12,000 · 16,000 from 2021;
    16,000 · 20,000 from 2023; 20,000 · 25,000 from autumn 2024. Rate: the benchmark rate before 2020;
    5-year LPR − 30 bp from 2020, − 60 bp from autumn 2023, − 70 bp from October 2024.
    """
    if year >= 2024:
        limits = (20000, 25000)
    elif year >= 2023:
        limits = (16000, 20000)
    elif year >= 2021:
        limits = (12000, 16000)
    else:
        limits = (8000, 12000)
    if year >= 2024:
        rate = ("5年期LPR减70个基点", -70)
    elif year >= 2023:
        rate = ("5年期LPR减60个基点", -60)
    elif year >= 2020:
        rate = ("5年期LPR减30个基点", -30)
    else:
        rate = ("同期同档次贷款基准利率", None)
    return PolicyDefaults(
        undergraduate_limit=limits[0],
        graduate_limit=limits[1],
        minimum_amount=MINIMUM_AMOUNT,
        rate_rule=rate[0],
        rate_spread_bp=rate[1],
        effective_from=datetime.date(year, 7, 1),
    )


# --- amounts -----------------------------------------------------------------------------------


def amount_errors(*, tuition: int, accommodation: int, limit: int, minimum: int, level_label: str) -> dict:
    """Field → Chinese message for amounts outside the year's rules (empty when they are fine).

    The total (tuition + accommodation) is at least the minimum and at most the year's limit for the
    level; neither amount is negative."""
    errors = {}
    if tuition is None or tuition < 0:
        errors["tuition_amount"] = "学费贷款金额不能为负数"
    if accommodation is None or accommodation < 0:
        errors["accommodation_amount"] = "住宿费贷款金额不能为负数"
    if errors:
        return errors
    total = tuition + accommodation
    if total < minimum:
        errors["tuition_amount"] = f"贷款总额{total}元低于最低金额{minimum}元"
    elif total > limit:
        errors["tuition_amount"] = f"贷款总额{total}元超过本年度{level_label}学生的年度上限{limit}元"
    return errors


# --- co-borrower --------------------------------------------------------------------------------

PARENT_RELATIONSHIPS = frozenset({"father", "mother"})
ADULT_AGE = 18


def age_on(birth_date: datetime.date, on: datetime.date) -> int:
    """Full years of age on the day (a birthday counts on the day itself; 29 Feb → 1 Mar)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def co_borrower_age_error(*, relationship: str, birth_date: datetime.date, on: datetime.date) -> str | None:
    """A co-borrower who is not the father or mother must be an adult (18+) on the application date."""
    if relationship in PARENT_RELATIONSHIPS:
        return None
    age = age_on(birth_date, on)
    if age < ADULT_AGE:
        return f"共同借款人不是父母时须年满18周岁（按身份证出生日期计算，申请日为{age}周岁）"
    return None


# --- receipt codes (回执码) and contract numbers ---------------------------------------------------

# The random part avoids characters a clerk confuses on paper (0/O, 1/I); the check character is
# ISO 7064 MOD 37,36 (any of 0-9A-Z), which catches every single-character substitution and every
# adjacent transposition.
RECEIPT_BODY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECEIPT_BODY_LENGTH = 9


def receipt_code_generate() -> str:
    body = "".join(secrets.choice(RECEIPT_BODY_ALPHABET) for _ in range(RECEIPT_BODY_LENGTH))
    return body + mod_37_36.calc_check_digit(body)


def receipt_code_normalise(value: str) -> str:
    return "".join((value or "").split()).replace("-", "").upper()


def receipt_code_is_valid(value: str) -> bool:
    code = receipt_code_normalise(value)
    if len(code) != RECEIPT_BODY_LENGTH + 1:
        return False
    return mod_37_36.is_valid(code)


def receipt_code_display(code: str) -> str:
    """Grouped for reading aloud and typing: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}" if code and len(code) == 10 else code or ""


def contract_number_format(*, year: int, county_code: str, sequence: int) -> str:
    """合同号: loan year + county code + 5-digit sequence, e.g. 2026620123000017."""
    return f"{year}{county_code}{sequence:05d}"


# --- states and transitions ---------------------------------------------------------------------

from ..states import (  # noqa: E402  (the one source of the states and the map)
    ABANDONED,
    ACCEPTED,
    APPLICATION_CLOSED,
    APPLICATION_CORRECTABLE,
    APPLICATION_LABELS,
    APPLICATION_REASON_REQUIRED,
    APPLICATION_TRANSITIONS,
    ARCHIVED,
    BANK_APPROVED,
    BANK_DECLINED,
    CONTRACT_SIGNED,
    CORRECTION_PENDING,
    DISBURSED,
    FEE_CERTIFIED,
    RECEIPT_CONFIRMED,
    RECEIPT_ENTERED,
    REJECTED,
    RETURNED,
    WITHDRAWN,
)

ALLOWED_TRANSITIONS = APPLICATION_TRANSITIONS
REASON_REQUIRED = APPLICATION_REASON_REQUIRED
CLOSED_STATES = APPLICATION_CLOSED
APPLICATION_LABELS_FOR_MESSAGES = APPLICATION_LABELS

SYSTEM = "system"  # the calendar's enforcement (no user)
BANK_ROLES = frozenset({Role.BANK_OFFICER})
# The bank's status (审批、放款) is recorded by the bank's officer, or by a province officer importing the
# bank's spreadsheet (issue 13).
BANK_STATUS_ROLES = frozenset({Role.BANK_OFFICER, Role.PROVINCE_OFFICER})

# Who may move an application INTO each state.
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    ACCEPTED: COUNTY_ROLES,
    CONTRACT_SIGNED: COUNTY_ROLES,
    RETURNED: COUNTY_ROLES,
    REJECTED: COUNTY_ROLES,
    WITHDRAWN: COUNTY_ROLES,
    RECEIPT_CONFIRMED: COUNTY_ROLES,
    ARCHIVED: COUNTY_ROLES,
    RECEIPT_ENTERED: UNIVERSITY_ROLES,
    FEE_CERTIFIED: UNIVERSITY_ROLES,
    BANK_APPROVED: BANK_STATUS_ROLES,
    BANK_DECLINED: BANK_STATUS_ROLES,
    DISBURSED: BANK_STATUS_ROLES,
    ABANDONED: frozenset({SYSTEM}),
}

# The API's action names and the buttons' words.
ACTIONS: dict[str, str] = {
    "accept": ACCEPTED,
    "sign": CONTRACT_SIGNED,
    "return": RETURNED,
    "reject": REJECTED,
    "withdraw": WITHDRAWN,
    "enter_receipt": RECEIPT_ENTERED,
    "confirm_receipt": RECEIPT_CONFIRMED,
    "approve": BANK_APPROVED,
    "decline": BANK_DECLINED,
    "disburse": DISBURSED,
    "certify_fee": FEE_CERTIFIED,
    "archive": ARCHIVED,
}
ACTION_LABELS: dict[str, str] = {
    ACCEPTED: "受理",
    CONTRACT_SIGNED: "签订合同",
    RETURNED: "退回",
    REJECTED: "不予受理",
    WITHDRAWN: "撤回申请",
    RECEIPT_ENTERED: "录入回执",
    RECEIPT_CONFIRMED: "确认回执",
    BANK_APPROVED: "银行审批通过",
    BANK_DECLINED: "银行审批不通过",
    DISBURSED: "放款",
    FEE_CERTIFIED: "开具收费证明",
    ARCHIVED: "归档",
    ABANDONED: "视为放弃",
}


# Every move with a date in notice 八 is checked the same way as intake (deadlines.require_open): the key
# date of the application's loan year, with the acting organisation's extension → (key date, action).
DATED_MOVES: dict[str, tuple[str, str]] = {
    RECEIPT_ENTERED: ("receipt_entry_due", "录入回执"),
    RECEIPT_CONFIRMED: ("receipt_confirm_due", "确认回执"),
    BANK_APPROVED: ("bank_approval_due", "审批贷款"),
    BANK_DECLINED: ("bank_approval_due", "审批贷款"),
    DISBURSED: ("bank_approval_due", "发放贷款"),
    FEE_CERTIFIED: ("fee_certificate_window", "开具收费证明"),
    ARCHIVED: ("archive_due", "归档"),
}


def role_may_move(role: str, to: str) -> bool:
    return role in TRANSITION_ROLES.get(to, frozenset())


def moves_for(*, role: str, status: str) -> list[str]:
    """The states a user of this role may move an application in `status` to, in map order."""
    return [
        to for to in ACTION_LABELS if to in ALLOWED_TRANSITIONS.get(status, ()) and role_may_move(role, to)
    ]


# Fields a signed application may have corrected (maker–checker, ApplicationCorrection).
CORRECTABLE_FIELDS = ("tuition_amount", "accommodation_amount", "major", "enrolment_year", "study_years")
CORRECTABLE_STATES = APPLICATION_CORRECTABLE


# --- who may do what: the one check the services make and the pages and API render ---------------


def move_refusal(
    *,
    role: str | None,
    organisation_id: int | None,
    status: str,
    county_id: int,
    university_id: int,
    has_contract: bool,
    to: str,
) -> Refusal | None:
    """Why this user may not move an application in `status` to `to` (Chinese), or None when they may.

    `role=None` is the system (the calendar's enforcement). The state map is checked by the transition
    itself (409); here: the role, the organisation (county: its own applications; university: its own
    students), and archiving only of a signed contract (notice 八)."""
    label = APPLICATION_LABELS_FOR_MESSAGES.get(to, to)
    if role is None:
        return None if SYSTEM in TRANSITION_ROLES.get(to, frozenset()) else Refusal("系统不能执行此操作")
    if not role_may_move(role, to):
        return Refusal(f"您的角色不能将申请变更为“{label}”")
    if role in COUNTY_ROLES and county_id != organisation_id:
        return Refusal("只能办理本县受理的申请")
    if role in UNIVERSITY_ROLES and university_id != organisation_id:
        return Refusal("只能办理本校学生的申请")
    if to == ARCHIVED and not has_contract:
        return Refusal("未签订合同的申请没有信贷材料可归档", CONFLICT)
    return None


def correction_decide_refusal(
    *,
    role: str | None,
    user_pk: int | None,
    organisation_id: int | None,
    county_id: int,
    requested_by_id: int,
    created_by_id: int,
    status: str,
) -> Refusal | None:
    """Why this user may not approve or reject a correction (maker–checker), or None when they may."""
    if role != Role.COUNTY_MANAGER or county_id != organisation_id:
        return Refusal("只有本县负责人可以审批更正")
    if requested_by_id == user_pk:
        return Refusal("不能审批自己提出的更正申请，请由另一位负责人审批")
    if created_by_id == user_pk:
        # maker–checker (DESIGN.md): nobody approves a change to what they entered themselves
        return Refusal("不能审批自己录入的申请的更正，请由另一位负责人审批")
    if status != CORRECTION_PENDING:
        return Refusal("该更正申请已处理", CONFLICT)
    return None


def correction_request_refusal(
    *, role: str | None, organisation_id: int | None, county_id: int, status: str, has_pending: bool
) -> Refusal | None:
    """Why this user may not ask to correct the application, or None when they may."""
    if role not in COUNTY_ROLES or county_id != organisation_id:
        return Refusal("只能更正本县受理的申请")
    if status not in CORRECTABLE_STATES:
        return Refusal("只有已签合同、回执未经银行审批的申请需要走更正审批", CONFLICT)
    if has_pending:
        return Refusal("该申请已有待审批的更正申请，请等待审批后再提交", CONFLICT)
    return None


# --- who may read a receipt code (回执码) — issue 7 item 9 ------------------------------------------

# States an application reaches only after its university entered the receipt.
RECEIPT_ENTERED_STATES = frozenset(
    {RECEIPT_ENTERED, RECEIPT_CONFIRMED, BANK_APPROVED, DISBURSED, FEE_CERTIFIED, ARCHIVED}
)


def receipt_code_visible_to(user, application) -> bool:
    """The receipt code proves that the student holds the acceptance certificate (受理证明), so it is
    shown only to the county that signed the contract and printed the certificate, and to the student's
    university once it has entered the code from the paper. Nobody else — city, province, bank, another
    county or university — reads it (pages, API, certificate alike)."""
    role = getattr(user, "role", None)
    organisation_pk = getattr(user, "organisation_id", None)
    if not application.receipt_code or organisation_pk is None:
        return False
    if role in COUNTY_ROLES:
        return application.county_id == organisation_pk
    if role in UNIVERSITY_ROLES:
        return application.university_id == organisation_pk and application.status in RECEIPT_ENTERED_STATES
    return False


def receipt_code_for(user, application) -> str:
    """The code grouped for reading (ABCDE-FGHJK) when `user` may read it, else ""."""
    if not receipt_code_visible_to(user, application):
        return ""
    return receipt_code_display(application.receipt_code)
