"""Dashboard content of the applications app beyond the lifecycle's own cards: the corrections waiting for a
county manager's approval, and the per-county table that province, city and bank users see."""

from django.db.models import Count, F, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse

from loanportal.registry import Panel, register_panel
from loanportal.roles import Role

COUNTY_MANAGERS = frozenset({Role.COUNTY_MANAGER})
OVERSEERS = frozenset({Role.CITY_MANAGER, Role.PROVINCE_MANAGER, Role.PROVINCE_OFFICER, Role.BANK_OFFICER})
PAID = ("disbursed", "fee_certified", "archived")
CLOSED = ("rejected", "withdrawn", "abandoned")


def _pending_corrections_card(user):
    from ..models import ApplicationCorrection
    from ..selectors.lifecycle import applications_visible_to

    pending = ApplicationCorrection.objects.filter(
        status="pending", application__in=applications_visible_to(user=user)
    )
    count = pending.count()
    mine = pending.filter(requested_by=user).count()
    note = "须由本县另一位负责人审批后生效"
    if mine:
        note = f"其中 {mine} 件由您提出，须另一位负责人审批"
    return {
        "title": "待审批更正",
        "value": count,
        "unit": "件",
        # year=all: the count covers every loan year, the list defaults to the current one
        "url": reverse("application-list") + "?correction=pending&year=all",
        "note": note,
        "level": "warning" if count > mine else "",
    }


def county_rows(user, year: int) -> list[dict]:
    """One row per county of the user's scope: the year's applications by stage (what the user may see)."""
    from loanportal.selectors import counties_visible_to

    from ..selectors.lifecycle import applications_visible_to

    amount = F("tuition_amount") + F("accommodation_amount")
    figures = {
        row["county"]: row
        for row in applications_visible_to(user=user)
        .filter(year=year)
        .order_by()
        .values("county")
        .annotate(
            # "status", not "pk": answered from the index app_year_county_status alone
            live=Count("status", filter=~Q(status__in=CLOSED)),
            signed=Count("status", filter=Q(contract_signed_at__isnull=False) & ~Q(status__in=CLOSED)),
            waiting_receipt=Count("status", filter=Q(status="contract_signed")),
            to_approve=Count("status", filter=Q(status="receipt_confirmed")),
            paid=Count("status", filter=Q(status__in=PAID)),
            paid_amount=Sum(amount, filter=Q(status__in=PAID)),
            abandoned=Count("status", filter=Q(status="abandoned")),
        )
    }
    rows = []
    for county in counties_visible_to(user=user).order_by("parent__code", "code"):
        row = figures.get(county.pk, {})
        rows.append(
            {
                "county": county,
                "live": row.get("live", 0),
                "signed": row.get("signed", 0),
                "waiting_receipt": row.get("waiting_receipt", 0),
                "to_approve": row.get("to_approve", 0),
                "paid": row.get("paid", 0),
                "paid_amount": row.get("paid_amount") or 0,
                "abandoned": row.get("abandoned", 0),
            }
        )
    return rows


def _county_table_card(user):
    from ..services.lifecycle import current_loan_year

    year = current_loan_year()
    rows = county_rows(user, year)
    if not rows:
        return None
    totals = {key: sum(r[key] for r in rows) for key in rows[0] if key != "county"}
    html = render_to_string(
        "includes/county_figures.html",
        {"rows": rows, "totals": totals, "year": year, "is_bank": user.role == Role.BANK_OFFICER},
    )
    # A table under the cards, not a card of its own (dashboard.html prints `html` below the cards).
    return {"html": html, "table_only": True}


def register():
    register_panel(
        Panel(
            "applications.pending_corrections",
            COUNTY_MANAGERS,
            _pending_corrections_card,
            order=25,
            per_user=True,  # "其中 N 件由您提出"
        )
    )
    register_panel(Panel("applications.county_table", OVERSEERS, _county_table_card, order=200))
