"""Policy parameters per loan year (贷款年度政策参数) and the amount check every intake reads."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from loanportal.audit import audit_record, model_snapshot
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import StudyLevel
from loanportal.roles import Role
from loanportal.updates import model_update

from ...models import (
    LoanPolicy,
)
from ...rules import lifecycle as rules

POLICY_FIELDS = [
    "effective_from",
    "undergraduate_limit",
    "graduate_limit",
    "minimum_amount",
    "rate_rule",
    "rate_spread_bp",
    "penalty_factor",
    "day_basis",
    "settlement_month",
    "settlement_day",
]
POLICY_EDITOR_ROLES = frozenset({Role.PROVINCE_MANAGER})


def notice_8_abandon_reason(deadline) -> str:
    """The reason of the calendar's abandonment with the university's real (possibly extended) date."""
    from deadlines.rules import format_date

    return (
        f"逾期未录入回执，视为该校借款学生放弃当年贷款申请（通知八：{format_date(deadline)}前完成回执录入）"
    )


# --- policy parameters --------------------------------------------------------------------------


def _default_policy(year: int) -> LoanPolicy:
    defaults = rules.policy_defaults(year)
    return LoanPolicy(
        year=year,
        effective_from=defaults.effective_from,
        undergraduate_limit=defaults.undergraduate_limit,
        graduate_limit=defaults.graduate_limit,
        minimum_amount=defaults.minimum_amount,
        rate_rule=defaults.rate_rule,
        rate_spread_bp=defaults.rate_spread_bp or 0,
    )


def loan_policy_for(year: int) -> LoanPolicy:
    """The policy parameters of loan year `year` — a read: the stored row, or (not saved, pk None) the
    defaults table's values when the year has no row yet. Rendering a page never writes."""
    return LoanPolicy.objects.filter(year=year).first() or _default_policy(year)


def loan_policy_ensure(*, year: int, actor=None) -> LoanPolicy:
    """Store loan year `year` from the defaults table when it has no row yet (audited); a write, called by
    the services that change parameters and by the demo seeder."""
    policy = LoanPolicy.objects.filter(year=year).first()
    if policy is not None:
        return policy
    policy = _default_policy(year)
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # created concurrently
        return LoanPolicy.objects.get(year=year)
    audit_record(
        actor=actor,
        action="loan_policy.create",
        obj=policy,
        new=model_snapshot(policy, POLICY_FIELDS),
        reason="按默认参数表建立",
    )
    return policy


@transaction.atomic
def loan_policy_update(*, actor, policy: LoanPolicy, reason: str, **changes) -> LoanPolicy:
    """Edit a loan year's parameters (province manager, with a reason; audited old → new)."""
    if getattr(actor, "role", None) not in POLICY_EDITOR_ROLES:
        raise PermissionDeniedError("只有省中心负责人可以修改年度政策参数")
    if len((reason or "").strip()) < 2:
        raise DomainError("请填写修改原因", field="reason")
    if policy.pk is None:  # a year still on the defaults table: stored first, then changed
        policy = loan_policy_ensure(year=policy.year, actor=actor)
    locked = LoanPolicy.objects.select_for_update().get(pk=policy.pk)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise DomainError(f"不能修改字段“{sorted(unknown)[0]}”")
    model_update(
        instance=locked,
        fields=POLICY_FIELDS,
        data=changes,
        actor=actor,
        action="loan_policy.update",
        reason=reason.strip(),
        organisation=actor.organisation,
    )
    return locked


def amounts_check(*, year: int, level: str, tuition: int, accommodation: int) -> None:
    """Raise ValidationError (per field) unless the amounts fit the year's parameters."""
    policy = loan_policy_for(year)
    errors = rules.amount_errors(
        tuition=tuition,
        accommodation=accommodation,
        limit=policy.limit_for(level),
        minimum=policy.minimum_amount,
        level_label=StudyLevel(level).label if level in StudyLevel.values else level,
    )
    if errors:
        raise ValidationError(errors)
