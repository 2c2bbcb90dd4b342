"""{% load relief_money %}: whether a user sees the relief money pages (the rule stays in money_views)."""

from django import template

register = template.Library()


@register.filter
def sees_relief_money(user) -> bool:
    from repayment_relief.money_views import MONEY_READERS

    return getattr(user, "role", None) in MONEY_READERS


@register.inclusion_tag("relief_money/_case_amounts.html")
def relief_case_amounts(case):
    """The case page's card: its cutoff and its parts per contract (portal and bank)."""
    from repayment_relief.models import PART_LABELS, PARTS
    from repayment_relief.money_selectors import case_amounts

    return {"amounts": case_amounts(case), "labels": [PART_LABELS[p] for p in PARTS]}
