"""Scoped reads. Every query that returns personal data goes through a selector taking the acting user.

Scope of a student (DESIGN.md): the household county (生源地), that county's city, the province, and the
student's university. Outside the scope a view answers 404, the same as for an id that does not exist.
"""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import AuditEvent, Notification, Organisation, Student, User
from .roles import MANAGER_ROLES, OrgKind
from .scope import NOTHING as NOTHING  # re-exported: other apps' selectors import it from here
from .scope import org_kind, scope_q


def student_scope_q(user, prefix: str = "") -> Q:
    """The Q object limiting anything that belongs to a student to the user's scope.

    `prefix` is the path from the queried model to the student, e.g. "student__" for an application.
    The bank sees no student through the register (it reaches the cases handed to it through their own
    selectors)."""
    return scope_q(user, county=f"{prefix}household_county", university=f"{prefix}university")


def organisation_scope_q(user, field: str = "organisation") -> Q:
    """Limit rows owned by an organisation (county, university, city) to the user's part of the tree."""
    return scope_q(user, organisation=field)


def students_visible_to(*, user) -> QuerySet[Student]:
    return Student.objects.filter(student_scope_q(user)).select_related("household_county", "university")


def student_list(*, user, county=None, university=None) -> QuerySet[Student]:
    """The student register newest first (the 学生 page), optionally one county's or one university's."""
    qs = students_visible_to(user=user)
    if county is not None:
        qs = qs.filter(household_county=county)
    if university is not None:
        qs = qs.filter(university=university)
    return qs.order_by("-pk")


def student_get(*, user, pk) -> Student:
    """The student with this pk if the user may see it, else 404."""
    return get_object_or_404(students_visible_to(user=user), pk=pk)


def organisations_visible_to(*, user) -> QuerySet[Organisation]:
    """Organisations are reference data (no personal data): every active user sees the directory."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.organisation_id is None:
        return Organisation.objects.none()
    return Organisation.objects.select_related("parent")


def counties_visible_to(*, user) -> QuerySet[Organisation]:
    """Counties the user works with: its own, its city's, or all (province, bank)."""
    scope = Q() if org_kind(user) == OrgKind.BANK else scope_q(user, organisation="")
    return Organisation.objects.filter(kind=OrgKind.COUNTY).filter(scope).select_related("parent")


def users_visible_to(*, user) -> QuerySet[User]:
    """Managers see the users of their own part of the tree; everyone else sees nobody."""
    if user.role not in MANAGER_ROLES or user.organisation is None:
        return User.objects.none()
    return User.objects.filter(organisation_scope_q(user)).select_related("organisation")


def audit_events_visible_to(*, user) -> QuerySet[AuditEvent]:
    """Managers search the audit rows of their scope: rows about their objects or done by their people."""
    if user.role not in MANAGER_ROLES or user.organisation is None:
        return AuditEvent.objects.none()
    # Rows ABOUT objects in scope (the object's county / university), never rows merely done by the
    # manager's people about objects outside it; rows about no object (logins) by the actor's organisation.
    about = scope_q(user, organisation="organisation", university="university")
    own_actions = Q(organisation__isnull=True, university__isnull=True) & scope_q(
        user, organisation="actor_organisation"
    )
    scope = (about | own_actions) if about else Q()  # Q() (the province) | x would narrow to x
    return AuditEvent.objects.filter(scope).select_related("actor", "actor_organisation")


def audit_events_for_object(*, obj) -> QuerySet[AuditEvent]:
    """The audit rows of one object; the caller has already checked the object is in scope."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_pk=str(obj.pk)).select_related(
        "actor"
    )


def notifications_for(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_notification_count(*, user) -> int:
    """Counted once per request (the navigation badge and the dashboard card both show it)."""
    from .context import memoised

    return memoised(
        ("unread_notifications", user.pk),
        lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    )
