"""Policy parameters per loan year (贷款年度政策参数) and the amount check every intake reads."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from loanportal.audit import audit_record, model_snapshot
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import StudyLevel
from loanportal.roles import Role

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
NOTICE_8_ABANDON = "逾期未录入回执，视为该校借款学生放弃当年贷款申请（通知八：10月10日前完成回执录入）"


# --- policy parameters --------------------------------------------------------------------------


def loan_policy_for(year: int) -> LoanPolicy:
    """The policy parameters of loan year `year`, created from the defaults table when missing."""
    policy = LoanPolicy.objects.filter(year=year).first()
    if policy is not None:
        return policy
    defaults = rules.policy_defaults(year)
    policy = LoanPolicy(
        year=year,
        effective_from=defaults.effective_from,
        undergraduate_limit=defaults.undergraduate_limit,
        graduate_limit=defaults.graduate_limit,
        minimum_amount=defaults.minimum_amount,
        rate_rule=defaults.rate_rule,
        rate_spread_bp=defaults.rate_spread_bp or 0,
    )
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # created concurrently
        return LoanPolicy.objects.get(year=year)
    audit_record(
        actor=None,
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
    locked = LoanPolicy.objects.select_for_update().get(pk=policy.pk)
    old = model_snapshot(locked, POLICY_FIELDS)
    for name, value in changes.items():
        if name not in POLICY_FIELDS:
            raise DomainError(f"不能修改字段“{name}”")
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    new = model_snapshot(locked, POLICY_FIELDS)
    changed = {k for k in new if new[k] != old[k]}
    if changed:
        audit_record(
            actor=actor,
            action="loan_policy.update",
            obj=locked,
            old={k: old[k] for k in changed},
            new={k: new[k] for k in changed},
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
