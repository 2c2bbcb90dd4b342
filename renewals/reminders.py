"""Reminder to every class (提醒到每一个班级, notice 三(七)): per department and class, the university's
students who borrowed last year and have not declared this year (and do not graduate before it); a
reminder notification to the university's officers; the list as a spreadsheet through the export path
(personal data: masked ID numbers, a manager's approval first)."""

from collections import OrderedDict

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import PermissionDeniedError
from loanportal.exports.registry import ID_NUMBER, INTEGER, Column, ExportDefinition, register
from loanportal.roles import UNIVERSITY_ROLES
from loanportal.selectors import students_visible_to
from loanportal.services import notification_send_to_organisation

from . import states
from .models import RenewalDeclaration

# A contract was signed last year (签订合同 and every later state): the student borrowed.
BORROWED_STATES = (
    "contract_signed",
    "receipt_entered",
    "receipt_confirmed",
    "bank_approved",
    "disbursed",
    "fee_certified",
    "archived",
)
NO_CLASS = "（未登记班级）"


def renewal_undeclared_students(*, user, year: int):
    """The university user's students who borrowed in `year - 1` (a signed contract, or an approved
    renewal) and have no declaration for `year`, still studying in `year` (enrolment + length of study
    after `year`, not confirmed graduated). Ordered by department, class, student number."""
    from applications.models import Application

    if getattr(user, "role", None) not in UNIVERSITY_ROLES:
        return students_visible_to(user=user).none()
    borrowed = Exists(
        Application.objects.filter(student=OuterRef("pk"), year=year - 1, status__in=BORROWED_STATES)
    ) | Exists(
        RenewalDeclaration.objects.filter(student=OuterRef("pk"), year=year - 1, status=states.APPROVED)
    )
    declared = Exists(RenewalDeclaration.objects.filter(student=OuterRef("pk"), year=year))
    still_studying = Q(enrolment_year__isnull=True) | Q(study_years__isnull=True)
    for length in range(1, 9):
        still_studying |= Q(study_years=length, enrolment_year__gt=year - length)
    return (
        students_visible_to(user=user)
        .filter(university=user.organisation, graduation_confirmed_at__isnull=True)
        .filter(borrowed)
        .exclude(declared)
        .filter(still_studying)
        .order_by("department", "class_name", "student_number", "name", "pk")
    )


def renewal_class_reminders(*, user, year: int) -> list[dict]:
    """Per department and class: the students to remind (department, class, students)."""
    groups: OrderedDict = OrderedDict()
    for student in renewal_undeclared_students(user=user, year=year):
        key = (student.department or "—", student.class_name or NO_CLASS)
        groups.setdefault(key, []).append(student)
    return [
        {"department": department, "class_name": class_name, "students": students}
        for (department, class_name), students in groups.items()
    ]


@transaction.atomic
def renewal_class_reminder_send(*, actor, year: int) -> int:
    """Send the university's officers the reminder to pass on to every class (one a day), audited.
    Returns the number of students to remind."""
    if getattr(actor, "role", None) not in UNIVERSITY_ROLES:
        raise PermissionDeniedError("只有高校可以发送班级续贷提醒")
    groups = renewal_class_reminders(user=actor, year=year)
    total = sum(len(g["students"]) for g in groups)
    if not total:
        return 0
    lines = [f"{g['department']} {g['class_name']}：{len(g['students'])}人" for g in groups[:30]]
    university = actor.organisation
    notification_send_to_organisation(
        organisation=university,
        roles=UNIVERSITY_ROLES,
        title=f"续贷提醒：{len(groups)}个班级共{total}名上年度借款学生尚未提交{year}年度续贷声明",
        body="请提醒到每一个班级（通知三(七)）：\n" + "\n".join(lines),
        url=reverse("renewal-class-reminder"),
        category="renewal",
        level="warning",
        dedupe_key=f"renewal-class-reminder:{year}:{university.pk}:{timezone.localdate().isoformat()}",
    )
    audit_record(
        actor=actor,
        action="renewal.class_reminder",
        obj=university,
        new={"年度": year, "班级数": len(groups), "人数": total},
        university=university,
    )
    return total


# --- the export (through loanportal.exports: personal data, approval first) ----------------------------


def _year(params) -> int:
    from deadlines.services import current_loan_year

    value = str((params or {}).get("year", ""))
    return int(value) if value.isdigit() and len(value) == 4 else current_loan_year()


def reminder_rows(*, user, params):
    year = _year(params)
    for student in renewal_undeclared_students(user=user, year=year).iterator(chunk_size=2000):
        yield (
            student.department,
            student.class_name,
            student.major,
            student.name,
            student.student_number,
            student.id_number,
            student.enrolment_year,
        )


register(
    ExportDefinition(
        name="renewal_class_reminders",
        title="未提交续贷声明学生名单（按班级）",
        columns=(
            Column("院系", width=20),
            Column("班级", width=14),
            Column("专业", width=18),
            Column("姓名", width=10),
            Column("学号", width=14),
            Column("身份证号", ID_NUMBER, 21),
            Column("入学年份", INTEGER, 9),
        ),
        rows=reminder_rows,
        count=lambda *, user, params: renewal_undeclared_students(user=user, year=_year(params)).count(),
        roles=frozenset(UNIVERSITY_ROLES),
        personal=True,
        page="renewal-class-reminder",
        describe=lambda params: f"{_year(params)}年度上年度借款、本年度尚未提交续贷声明的学生",
    )
)
