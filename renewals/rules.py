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
