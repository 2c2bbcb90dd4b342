"""Graduation confirmation and information maintenance (毕业确认、信息维护, notice 七(十九)): the university
lists its graduating borrowers (enrolment year + length of study), confirms the graduation date and keeps
contact and employment current — the data the relief measures later need to reach a borrower. Scoped
read first, then the one write (model_update: old → new in the audit row)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from loanportal.models import Student
from loanportal.roles import UNIVERSITY_ROLES
from loanportal.scope import require_write_scope
from loanportal.selectors import students_visible_to
from loanportal.updates import model_update

from . import states
from .models import RenewalDeclaration
from .reminders import BORROWED_STATES

GRADUATION_FIELDS = [
    "graduation_date",
    "graduation_confirmed_at",
    "graduation_confirmed_by",
    "phone",
    "address",
    "employer",
    "employment_status",
]


def graduating_borrowers(
    *, user, year: int, status: str = "", department: str = "", class_name: str = "", q: str = ""
):
    """The university user's borrowers whose enrolment year + length of study is `year` (they graduate in
    that summer); `status` "pending" (not confirmed) or "confirmed". Others see no one."""
    from applications.models import Application

    if getattr(user, "role", None) not in UNIVERSITY_ROLES:
        return Student.objects.none()
    borrowed = Exists(
        Application.objects.filter(student=OuterRef("pk"), status__in=BORROWED_STATES)
    ) | Exists(RenewalDeclaration.objects.filter(student=OuterRef("pk"), status=states.APPROVED))
    rows = (
        students_visible_to(user=user)
        .filter(university=user.organisation, enrolment_year__isnull=False, study_years__isnull=False)
        .annotate(graduation_year=F("enrolment_year") + F("study_years"))
        .filter(graduation_year=year)
        .filter(borrowed)
    )
    if status == "pending":
        rows = rows.filter(graduation_confirmed_at__isnull=True)
    elif status == "confirmed":
        rows = rows.filter(graduation_confirmed_at__isnull=False)
    if department:
        rows = rows.filter(department=department)
    if class_name:
        rows = rows.filter(class_name=class_name)
    q = (q or "").strip()
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(student_number=q))
    return rows.select_related("graduation_confirmed_by").order_by(
        "graduation_confirmed_at", "department", "class_name", "student_number", "pk"
    )


def graduation_student_get(*, user, pk) -> Student:
    """One student of the university user's own (404 otherwise), for the graduation form."""
    from django.shortcuts import get_object_or_404

    if getattr(user, "role", None) not in UNIVERSITY_ROLES:
        return get_object_or_404(Student.objects.none(), pk=pk)
    return get_object_or_404(students_visible_to(user=user).filter(university=user.organisation), pk=pk)


@transaction.atomic
def student_graduation_update(
    *,
    actor,
    student: Student,
    graduation_date,
    phone: str = "",
    address: str = "",
    employer: str = "",
    employment_status: str = "",
) -> tuple[Student, list[str]]:
    """Confirm the graduation date and update contact and employment of one borrower (毕业确认、信息维护):
    only the student's university; who and when recorded; one audit row with old → new of what changed
    (`student.graduation`). Returns the student and the changed fields."""
    locked = Student.objects.select_for_update().get(pk=student.pk)
    require_write_scope(actor, university=locked.university_id, business="毕业确认和信息维护")
    data = {
        "graduation_date": graduation_date,
        "phone": (phone or "").strip(),
        "address": (address or "").strip(),
        "employer": (employer or "").strip(),
        "employment_status": (employment_status or "").strip(),
    }
    if locked.graduation_confirmed_at is None or locked.graduation_date != graduation_date:
        data["graduation_confirmed_at"] = timezone.now()
        data["graduation_confirmed_by"] = actor
    if locked.enrolment_year and graduation_date and graduation_date.year < locked.enrolment_year:
        raise ValidationError({"graduation_date": f"毕业时间不能早于入学年份（{locked.enrolment_year}年）"})
    return model_update(
        instance=locked,
        fields=GRADUATION_FIELDS,
        data=data,
        actor=actor,
        action="student.graduation",
        organisation=locked.household_county,
        university=locked.university,
    )
