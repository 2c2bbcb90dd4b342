from django import template

from loanportal.rules import mask_id_number, mask_phone

register = template.Library()


@register.filter
def masked_id(value):
    """身份证号脱敏：140***********123X."""
    return mask_id_number(value)


@register.filter
def masked_phone(value):
    """手机号脱敏：138****5678."""
    return mask_phone(value)


@register.filter
def action_label(value):
    """审计操作的中文名称."""
    from loanportal.registry import action_label as label

    return label(value)


def _field_text(model, key: str, value):
    """(label, display value) of one audited field, read from the model: verbose_name and choices."""
    try:
        field = model._meta.get_field(key) if model else None
    except Exception:  # noqa: BLE001 - a snapshot key that is not a field (e.g. "文件名") stays as written
        field = None
    if field is None:
        return key, value
    label = str(getattr(field, "verbose_name", key))
    if field.is_relation and value not in (None, ""):
        related = field.related_model._default_manager.filter(pk=value).first()
        return label, str(related) if related is not None else value
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    return label, choices.get(value, value)


@register.filter
def audit_change(event):
    """One line of an audit row's change in the users' words: "状态：银行已审批 → 已放款"."""
    from django.apps import apps

    try:
        model = apps.get_model(event.object_type) if "." in (event.object_type or "") else None
    except LookupError:
        model = None
    old, new = event.old or {}, event.new or {}
    parts = []
    for key in list(dict.fromkeys([*old, *new])):
        label, before = _field_text(model, key, old.get(key))
        _, after = _field_text(model, key, new.get(key))
        before = "—" if before in (None, "") else before
        after = "—" if after in (None, "") else after
        if key in old and key in new:
            parts.append(f"{label}：{before} → {after}")
        elif key in new:
            parts.append(f"{label}：{after}")
        else:
            parts.append(f"{label}：{before}（已删除）")
    return "；".join(parts)
