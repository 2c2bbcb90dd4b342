"""{% load relief_money %}: whether a user sees the relief money pages (the rule stays in money_views)."""

from django import template

register = template.Library()


@register.filter
def sees_relief_money(user) -> bool:
    from repayment_relief.money_views import MONEY_READERS

    return getattr(user, "role", None) in MONEY_READERS
