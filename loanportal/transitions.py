"""The shared mechanics of a state change; each state machine keeps its own map and its own service.

A transition: lock the row (select_for_update), check the move against the allowed map, demand a reason
where the policy requires one, save, and append the audit row — all in one transaction.
"""

from collections.abc import Mapping

from django.db import transaction

from .audit import audit_record
from .errors import ConflictError, DomainError


def apply_transition(
    *,
    instance,
    to: str,
    actor,
    allowed: Mapping[str, set[str] | frozenset[str]],
    reason: str = "",
    reason_required_for: set[str] | frozenset[str] = frozenset(),
    field: str = "status",
    labels=None,
    organisation=None,
    university=None,
    extra: dict | None = None,
    action_prefix: str | None = None,
    audit: Mapping | None = None,
):
    """Move `instance` (any model with a status field) to state `to`. Returns the locked, saved row.

    `audit` overrides what the one audit row says (`action`, `obj`, `old`, `new`) where the move is a
    decision about another object — a correction's approval is recorded on the application it changes."""
    model = type(instance)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=instance.pk)
        current = getattr(locked, field)
        label = (lambda value: labels(value).label) if labels else (lambda value: value)
        if to not in allowed.get(current, ()):
            raise ConflictError(f"当前状态为“{label(current)}”，不能变更为“{label(to)}”")
        if to in reason_required_for and not (reason or "").strip():
            raise DomainError(f"变更为“{label(to)}”必须填写原因", field="reason")
        setattr(locked, field, to)
        for name, value in (extra or {}).items():
            setattr(locked, name, value)
        # A state change does not re-judge a stored person's name by rules added after it was stored
        # (rules.validate_person_name): names are validated where they are entered or changed.
        changed = {field, *(extra or {})}
        locked.full_clean(
            exclude=[f.name for f in model._meta.fields if f.name == "name" and "name" not in changed]
        )
        locked.save()
        audit_record(
            **{
                "action": f"{action_prefix or model._meta.model_name}.{to}",
                "obj": locked,
                "old": {field: current},
                "new": {field: to},
                **(audit or {}),
            },
            actor=actor,
            reason=reason,
            organisation=organisation,
            university=university,
        )
        return locked
