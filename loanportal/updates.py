"""The one update-and-audit helper every service uses to change a row's fields (HackSoft's model_update):
snapshot → set fields → full_clean → save → diff → one audit row with only what changed."""

from .audit import audit_record, model_snapshot


def model_update(
    *,
    instance,
    fields: list[str],
    data: dict,
    actor,
    action: str,
    reason: str = "",
    organisation=None,
    university=None,
    validate_constraints: bool = True,
    created: bool = False,
    extra_old: dict | None = None,
    extra_new: dict | None = None,
):
    """Set `data` (keys must be in `fields`) on `instance` — already locked by the caller when it exists
    — validate, save and audit the change. Returns (instance, changed field names). `created`: the row is
    new (the audit row has no old values). `extra_old`/`extra_new`: audited values that are not model
    fields (e.g. a site's number of windows). Nothing changed → no audit row."""
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"model_update: fields not allowed: {sorted(unknown)}")
    old = {} if created else {**model_snapshot(instance, fields), **(extra_old or {})}
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean(validate_constraints=validate_constraints)
    instance.save()
    new = {**model_snapshot(instance, fields), **(extra_new or {})}
    changed = [name for name in new if created or old.get(name) != new[name]]
    if changed:
        audit_record(
            actor=actor,
            action=action,
            obj=instance,
            old={name: old[name] for name in changed if name in old} or None,
            new={name: new[name] for name in changed},
            reason=reason,
            organisation=organisation,
            university=university,
        )
    return instance, changed
