"""Scoped reads of the renewals app. Fee standards carry no personal data: every active user reads them.
Renewal declarations are scoped like students (the student's county and university, the city above the
county, the province) through loanportal.scope."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from loanportal.scope import scope_q

from . import rules, states
from .models import FeeStandard, RenewalDeclaration


def fee_standard_find(*, university, year: int, major: str, level: str) -> FeeStandard | None:
    """The fee standard of the university for this major and level in `year`, else the latest earlier one."""
    if university is None or not major or not level:
        return None
    return (
        FeeStandard.objects.filter(university=university, major=major.strip(), level=level, year__lte=year)
        .order_by("-year")
        .first()
    )


def fee_standards_of(*, university, year: int):
    return FeeStandard.objects.filter(university=university, year=year).order_by("major", "level")


# --- renewal declarations ------------------------------------------------------------------------------


def renewals_visible_to(*, user) -> QuerySet[RenewalDeclaration]:
    return RenewalDeclaration.objects.filter(
        scope_q(user, county="county", university="university")
    ).select_related("student", "county", "university", "reviewer_organisation")


def renewal_queue(
    *,
    user,
    department: str = "",
    major: str = "",
    class_name: str = "",
    grade: int | None = None,
    status: str = "",
    q: str = "",
    handed: bool = False,
    year: int | None = None,
) -> QuerySet[RenewalDeclaration]:
    """The review queue with its filters (院系, 专业, 班级, 年级 = enrolment year, 状态, search by name,
    student number or contract number, handed to the county)."""
    rows = renewals_visible_to(user=user)
    if year:
        rows = rows.filter(year=year)
    if department:
        rows = rows.filter(student__department=department)
    if major:
        rows = rows.filter(student__major=major)
    if class_name:
        rows = rows.filter(student__class_name=class_name)
    if grade:
        rows = rows.filter(student__enrolment_year=grade)
    if status in states.LABELS:
        rows = rows.filter(status=status)
    if handed:
        rows = rows.filter(handed_to_county=True)
    q = (q or "").strip()
    if q:
        rows = rows.filter(
            Q(student__name__icontains=q) | Q(student__student_number=q) | Q(contract_number__icontains=q)
        )
    return rows.order_by(
        "status",
        "student__department",
        "student__class_name",
        "student__student_number",
        "student__name",
        "pk",
    )


def renewal_filter_choices(*, user) -> dict:
    """Departments and majors present in the user's declarations (the queue's filter lists)."""
    rows = renewals_visible_to(user=user).values_list(
        "student__department", "student__major", "student__class_name", "student__enrolment_year"
    )
    departments, majors, classes, grades = set(), set(), set(), set()
    for department, major, class_name, grade in rows.distinct():
        departments.add(department)
        majors.add(major)
        classes.add(class_name)
        grades.add(grade)
    return {
        "departments": sorted(d for d in departments if d),
        "majors": sorted(m for m in majors if m),
        "classes": sorted(c for c in classes if c),
        "grades": sorted((g for g in grades if g), reverse=True),
    }


def renewal_late_candidates(*, user, q: str, year: int) -> list:
    """County window (notice 三(七) last sentence): the county's students with a university matching a name,
    ID number or student number, each with this year's declaration if there is one."""
    from loanportal.selectors import students_visible_to

    q = (q or "").strip()
    if not q:
        return []
    students = (
        students_visible_to(user=user)
        .filter(university__isnull=False)
        .filter(Q(name__icontains=q) | Q(id_number=q.upper()) | Q(student_number=q))
        .select_related("university")
        .order_by("name", "pk")[:20]
    )
    declared = {
        r.student_id: r for r in RenewalDeclaration.objects.filter(student__in=list(students), year=year)
    }
    return [(student, declared.get(student.pk)) for student in students]


@dataclass(frozen=True)
class Action:
    code: str  # the API's decision and the page's form value
    label: str
    needs_reason: bool = False
    danger: bool = False


def renewal_actions_for(user, declaration: RenewalDeclaration) -> list[Action]:
    """The review decisions this user may take on the declaration now — the same rules the service
    refuses with (routing of notice 三(七), the state map, one return at most)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    refusal = rules.review_permission_refusal(
        role=getattr(user, "role", None),
        organisation_id=getattr(user, "organisation_id", None),
        university_id=declaration.university_id,
        county_id=declaration.county_id,
        university_in_province=declaration.university.in_province,
    )
    if refusal:
        return []
    actions = []
    for code, to in states.DECISIONS.items():
        if rules.review_state_refusal(
            status=declaration.status, to=to, return_count=declaration.return_count
        ):
            continue
        actions.append(
            Action(
                code=code,
                label=states.DECISION_LABELS[code],
                needs_reason=to in states.REASON_REQUIRED,
                danger=to in states.DANGER,
            )
        )
    return actions
