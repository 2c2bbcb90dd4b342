"""Scoped reads of the pre-application list (首贷预申请): county sees its own, city its counties, province
all; universities and the bank see none (their pages and API answer 403 before reaching here)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role
from loanportal.selectors import NOTHING, organisation_scope_q

from ..models.preapplication import PreApplication, PreApplicationImport, PreApplicationStatus

# Who may open the list at all; the writers are the county roles.
READER_ROLES = frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.CITY_MANAGER})
WRITER_ROLES = frozenset(COUNTY_ROLES)


def _scope_q(user) -> Q:
    if not getattr(user, "is_authenticated", False) or user.role not in READER_ROLES:
        return NOTHING
    return organisation_scope_q(user, "county")


def pre_applications_visible_to(*, user) -> QuerySet[PreApplication]:
    return PreApplication.objects.filter(_scope_q(user)).select_related("county", "batch", "created_by")


def pre_application_get(*, user, pk) -> PreApplication:
    """The pre-application with this pk if the user may see it, else 404."""
    return get_object_or_404(pre_applications_visible_to(user=user), pk=pk)


def pre_application_imports_visible_to(*, user) -> QuerySet[PreApplicationImport]:
    return PreApplicationImport.objects.filter(_scope_q(user)).select_related("county", "created_by")


def pre_application_import_get(*, user, pk) -> PreApplicationImport:
    return get_object_or_404(pre_application_imports_visible_to(user=user), pk=pk)


def pre_applications_pending_count(*, user, year: int) -> int:
    """Students on the list this year who have not applied yet (已预申请、尚未受理)."""
    return (
        pre_applications_visible_to(user=user).filter(year=year, status=PreApplicationStatus.LISTED).count()
    )


def high_schools_visible_to(*, user) -> list[str]:
    """The high schools named on the lists the user sees (for the list filter)."""
    return list(
        pre_applications_visible_to(user=user)
        .exclude(high_school="")
        .order_by("high_school")
        .values_list("high_school", flat=True)
        .distinct()
    )


def pre_application_for_student(*, user, id_number: str, year: int) -> PreApplication | None:
    """The listed pre-application of an ID number this year in the user's scope (intake looks it up)."""
    return (
        pre_applications_visible_to(user=user)
        .filter(year=year, id_number=id_number.strip().upper())
        .exclude(status=PreApplicationStatus.WITHDRAWN)
        .first()
    )
