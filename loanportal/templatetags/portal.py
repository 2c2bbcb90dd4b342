from django import template

from loanportal.rules import mask_id_number, mask_phone, place_name

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
def place(organisation):
    """地名: the place an organisation stands for (生源地, 受理县), not the name of its centre."""
    if organisation is None:
        return ""
    return place_name(getattr(organisation, "name", None) or str(organisation))


@register.filter
def person(user):
    """A person as the pages show them: their name (and account), never just the login."""
    if user is None:
        return ""
    full_name = getattr(user, "full_name", "")
    return full_name or getattr(user, "username", str(user))


@register.filter
def action_label(value):
    """审计操作的中文名称."""
    from loanportal.registry import action_label as label

    return label(value)


@register.filter
def actor_label(value):
    """审计记录的操作人账号；任务与定时清理记为“系统”."""
    from loanportal.registry import actor_label as label

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


@register.filter
def styled(field, size=""):
    """A form field rendered with Bootstrap's classes (filter bars): form-select for choices, form-check-input
    for check boxes, form-control otherwise; is-invalid when the field has errors."""
    from django import forms

    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    classes = widget.attrs.get("class", "").split() + [css]
    if size and css != "form-check-input":
        classes.append(f"{css}-{size}")
    if field.errors:
        classes.append("is-invalid")
    return field.as_widget(attrs={"class": " ".join(dict.fromkeys(classes))})
