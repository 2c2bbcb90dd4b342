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
