"""Scoped reads of the loan year's close: receipts awaiting the county's confirmation, the bank's status
list, archive boxes and what is still unarchived — all through applications_visible_to / scope_q."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from loanportal.scope import scope_q

from .. import states
from ..models import Application, ArchiveBox, BankStatusImport
from ..rules import lifecycle as lifecycle_rules
from .lifecycle import applications_visible_to


def receipts_awaiting_confirmation(*, user, year: int | None = None) -> QuerySet[Application]:
    """Receipts the universities entered and the county has not confirmed yet (待确认回执), oldest first,
    with the contract beside each (who entered it and when)."""
    qs = applications_visible_to(user=user).filter(status=states.RECEIPT_ENTERED)
    if year:
        qs = qs.filter(year=year)
    return qs.select_related("receipt_entered_by").order_by("receipt_entered_at", "pk")


def receipts_chosen(*, user, pks) -> list[Application]:
    """The applications the user ticked, each in scope (anything else is simply not found → 404)."""
    from django.http import Http404

    pks = sorted({int(pk) for pk in pks})
    if any(not 0 < pk < 2**31 for pk in pks):  # not a row id at all (the column is a 32-bit integer)
        raise Http404("所选的申请不存在或不在您的范围内")
    found = list(applications_visible_to(user=user).filter(pk__in=pks))
    if len(found) != len(pks):
        raise Http404("所选的申请不存在或不在您的范围内")
    return found


BANK_LIST_STATES = (
    states.RECEIPT_CONFIRMED,
    states.BANK_APPROVED,
    states.BANK_DECLINED,
    states.DISBURSED,
)


def bank_status_list(*, user, status: str = "", query: str = "", year: int | None = None):
    """The contracts handed to the bank (from 回执已确认 on), filtered by state, searched by contract
    number or name."""
    qs = applications_visible_to(user=user).filter(status__in=states.APPLICATION_BANK_VISIBLE)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    query = (query or "").strip()
    if query:
        qs = (
            qs.filter(contract_number__startswith=query)
            if query.isdigit()
            else qs.filter(student__name__startswith=query)
        )
    return qs.order_by("contract_number", "pk")


def bank_status_get(*, user, pk) -> Application:
    return get_object_or_404(
        applications_visible_to(user=user).filter(status__in=states.APPLICATION_BANK_VISIBLE), pk=pk
    )


def bank_status_by_contract(*, user, contract_number: str) -> Application:
    return get_object_or_404(
        applications_visible_to(user=user).filter(status__in=states.APPLICATION_BANK_VISIBLE),
        contract_number=(contract_number or "").strip(),
    )


def bank_status_allowed(*, user) -> bool:
    """Whether the user may record the bank's status (the same role set the transition service checks)."""
    return getattr(user, "role", None) in lifecycle_rules.BANK_STATUS_ROLES


def bank_status_imports_visible_to(*, user) -> QuerySet[BankStatusImport]:
    return BankStatusImport.objects.filter(scope_q(user, organisation="organisation")).select_related(
        "created_by"
    )


def bank_status_import_get(*, user, pk) -> BankStatusImport:
    return get_object_or_404(bank_status_imports_visible_to(user=user), pk=pk)


def bank_status_totals(*, user, year: int) -> dict[str, int]:
    rows = (
        applications_visible_to(user=user)
        .filter(year=year, status__in=BANK_LIST_STATES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


# --- archives (归档) -------------------------------------------------------------------------------


def archive_boxes_visible_to(*, user) -> QuerySet[ArchiveBox]:
    """Boxes of the user's county (its city, the province)."""
    return (
        ArchiveBox.objects.filter(scope_q(user, county="county"))
        .select_related("county", "created_by")
        .annotate(application_count=Count("applications"))
    )


def archive_box_get(*, user, pk) -> ArchiveBox:
    return get_object_or_404(archive_boxes_visible_to(user=user), pk=pk)


def archive_boxes_find(*, user, number: str = "", year: int | None = None) -> QuerySet[ArchiveBox]:
    """Find boxes by number (盒号), e.g. to fetch an application's paper file."""
    qs = archive_boxes_visible_to(user=user)
    if year:
        qs = qs.filter(year=year)
    number = (number or "").strip()
    if number:
        qs = qs.filter(number__icontains=number)
    return qs.order_by("-year", "number")


def applications_in_box(*, user, box: ArchiveBox) -> QuerySet[Application]:
    return applications_visible_to(user=user).filter(archive_box=box).order_by("contract_number")


def applications_unarchived(*, user, year: int | None = None) -> QuerySet[Application]:
    """Signed contracts of the year not archived yet (待归档): finished or closed cases the map lets the
    county archive (states.ARCHIVABLE_STATES)."""
    qs = applications_visible_to(user=user).filter(
        status__in=states.ARCHIVABLE_STATES, contract_number__isnull=False
    )
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("contract_number")


def applications_still_in_progress(*, user, year: int) -> int:
    """Signed contracts of the year not yet at a state that may be archived (still with the university or
    the bank) — shown beside the unarchived list so "nothing left" is not misread."""
    return (
        applications_visible_to(user=user)
        .filter(
            year=year, status__in=(states.CONTRACT_SIGNED, states.RECEIPT_ENTERED, states.RECEIPT_CONFIRMED)
        )
        .count()
    )


def archive_allowed(*, user) -> bool:
    return lifecycle_rules.role_may_move(getattr(user, "role", ""), states.ARCHIVED)


def receipt_confirm_allowed(*, user) -> bool:
    return lifecycle_rules.role_may_move(getattr(user, "role", ""), states.RECEIPT_CONFIRMED)


def year_end_links_for(*, user) -> list[tuple[str, str]]:
    """The year-end pages offered from the application list's header (label, url): the county confirms
    receipts and archives; city and province read the archives. (Kept out of the top navigation, which
    must fit a 1366-pixel screen.)"""
    from django.urls import reverse

    from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role

    role = getattr(user, "role", None)
    if role in COUNTY_ROLES:
        return [("确认回执", reverse("receipt-confirmation")), ("归档", reverse("archive-list"))]
    if role in PROVINCE_ROLES:
        return [("审批放款情况", reverse("bank-status-list")), ("归档情况", reverse("archive-list"))]
    if role == Role.CITY_MANAGER:
        return [("归档情况", reverse("archive-list"))]
    return []
