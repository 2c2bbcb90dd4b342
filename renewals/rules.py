"""Pure rules of renewal declarations (no database): who reviews which declaration (notice 三(七)) and
the amount check against the fee standard. Services refuse with these; pages and the API list actions
with these (renewals.selectors.renewal_actions_for)."""

from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES

from . import states

IN_PROVINCE_COUNTY_REFUSAL = "省内高校就读学生的续贷声明审核完全由所在高校负责，县级学生资助机构不得代为审核"


def review_permission_refusal(
    *, role: str | None, organisation_id, university_id, county_id, university_in_province: bool
) -> str | None:
    """Why this user may not review the declaration at all (None: may review). Notice 三(七): a student at
    an in-province university is reviewed by that university only; at an out-of-province university by
    the university or by the student's county (兜底 after the review date)."""
    if role in UNIVERSITY_ROLES:
        if organisation_id == university_id:
            return None
        return "只能审核本校学生的续贷声明"
    if role in COUNTY_ROLES:
        if organisation_id != county_id:
            return "只能审核本县学生的续贷声明"
        if university_in_province:
            return IN_PROVINCE_COUNTY_REFUSAL
        return None
    return "您的角色不能审核续贷声明"


def review_state_refusal(*, status: str, to: str, return_count: int) -> str | None:
    """Why the move is not possible from this state (None: allowed): the map, and at most one return."""
    if to not in states.TRANSITIONS.get(status, ()):
        if to == states.RETURNED and status == states.RESUBMITTED:
            return "该续贷声明已退回修改过一次，只能审核通过或不予通过"
        return f"当前状态为“{states.LABELS.get(status, status)}”，不能变更为“{states.LABELS.get(to, to)}”"
    if to == states.RETURNED and return_count >= states.MAX_RETURNS:
        return "该续贷声明已退回修改过一次，只能审核通过或不予通过"
    return None


def fee_standard_errors(
    *, tuition: int, accommodation: int, fee_tuition: int | None, fee_accommodation: int | None
) -> dict:
    """Field → Chinese message when a requested amount exceeds the university's fee standard (empty when
    there is no standard or the amounts fit)."""
    errors = {}
    if fee_tuition is not None and tuition > fee_tuition:
        errors["tuition_amount"] = f"申请学费贷款{tuition}元超过该专业收费标准的学费{fee_tuition}元"
    if fee_accommodation is not None and accommodation > fee_accommodation:
        errors["accommodation_amount"] = (
            f"申请住宿费贷款{accommodation}元超过该专业收费标准的住宿费{fee_accommodation}元"
        )
    return errors


# --- fee standards (收费标准) and the fee account (收费账户) --------------------------------------------

FEE_MAX_YUAN = 200_000  # a year's tuition or accommodation above this is a typing error
MAJOR_MAX_LENGTH = 100


def level_from_text(value: str, levels: dict) -> str | None:
    """The study level code for a label or code typed in a sheet or form (本科 / undergraduate); None if
    unknown. `levels`: code → Chinese label."""
    text = (value or "").strip().replace("(", "（").replace(")", "）")
    if text in levels:
        return text
    for code, label in levels.items():
        if text == label or (text and label.startswith(text) and len(text) >= 2):
            return code
    return None


def fee_amount_error(value, *, label: str) -> str | None:
    """Why an amount typed for a fee standard is not acceptable (None: fine). Whole yuan, 0–200,000."""
    if value is None or value == "":
        return f"请填写{label}"
    if isinstance(value, bool):
        return f"{label}应为整数（元）"
    if isinstance(value, float):
        if not value.is_integer():
            return f"{label}应为整数（元），不能有小数"
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if not text.isdigit():
            return f"{label}应为整数（元），填写的是“{value.strip()[:20]}”"
        value = int(text)
    if value < 0:
        return f"{label}不能为负数"
    if value > FEE_MAX_YUAN:
        return f"{label}{value}元超过{FEE_MAX_YUAN}元，请核对"
    return None


def fee_row_errors(*, major: str, level: str | None, tuition, accommodation) -> dict:
    """Field → Chinese message for one fee standard row (table page and import alike)."""
    errors = {}
    major = (major or "").strip()
    if not major:
        errors["major"] = "请填写专业名称"
    elif len(major) > MAJOR_MAX_LENGTH:
        errors["major"] = f"专业名称不能超过{MAJOR_MAX_LENGTH}个字"
    if not level:
        errors["level"] = "学历层次只能是：专科（高职）、本科、第二学士学位、研究生"
    for key, label, value in (("tuition", "学费", tuition), ("accommodation", "住宿费", accommodation)):
        message = fee_amount_error(value, label=label)
        if message:
            errors[key] = message
    return errors


def mask_account_number(value: str | None) -> str:
    """A fee account number in lists: the last 4 digits only (6228 **** **** 1234 → ************1234)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def fee_obligation_count(*, has_standards: bool, account_confirmed: bool) -> int:
    """What a university still owes for `fee_standard_due`: the standards, the account confirmation."""
    return int(not has_standards) + int(not account_confirmed)
