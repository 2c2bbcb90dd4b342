"""Demo data of the universities' year (seed_demo, seeder 61): classes and student numbers for the demo
students, fee accounts confirmed by every university but 兰州交通大学 (late: on the province's list once
`fee_standard_due` has passed), last year's approved renewals (so the class reminder lists students),
more declarations at 兰州大学 in one class, and graduating borrowers, some confirmed."""

import datetime

from django.utils import timezone

from loanportal.models import Student
from loanportal.roles import Role
from loanportal.updates import model_update

LATE_UNIVERSITY_CODE = "10732"  # 兰州交通大学: standards entered, fee account never confirmed
SHORT = {
    "计算机科学与技术": "计科",
    "化学": "化学",
    "金融学": "金融",
    "汉语言文学": "汉文",
    "土木工程": "土木",
    "临床医学": "临床",
    "统计学": "统计",
}


def _officer(users, university):
    return next(
        (
            u
            for u in users.values()
            if u.organisation_id == university.pk and u.role == Role.UNIVERSITY_OFFICER
        ),
        None,
    )


def _classes(students) -> None:
    """Class (e.g. 计科2201) and student number for every demo student without one (audited as 演示数据)."""
    for index, student in enumerate(sorted(students, key=lambda s: s.pk)):
        if student.class_name or student.university_id is None:
            continue
        grade = (student.enrolment_year or 2024) % 100
        data = {
            "class_name": f"{SHORT.get(student.major, '综合')}{grade:02d}0{1 + index % 2}",
            "student_number": f"{student.enrolment_year or 2024}{student.university.code[-3:]}{index + 1:04d}",
        }
        model_update(
            instance=student,
            fields=list(data),
            data=data,
            actor=None,
            action="student.update",
            reason="演示数据：班级和学号",
            organisation=student.household_county,
            university=student.university,
        )


def _accounts(context, year) -> None:
    from .fees import fee_account_confirm
    from .models import FeeAccount

    for index, university in enumerate(context["universities"]):
        officer = _officer(context["users"], university)
        if university.code == LATE_UNIVERSITY_CODE or officer is None:
            continue
        if FeeAccount.objects.filter(university=university, year=year).exists():
            continue
        fee_account_confirm(
            actor=officer,
            university=university,
            year=year,
            account_name=university.name,
            bank_name=["中国银行兰州分行", "中国工商银行兰州分行", "中国建设银行兰州分行"][index % 3],
            account_number=f"62284800{university.code}{index:04d}",
        )


def _late(year) -> None:
    """The calendar's late list for the demo year when `fee_standard_due` has passed (the daily job does
    the same; idempotent)."""
    from deadlines.models import KeyDate
    from loanportal.models import Organisation
    from loanportal.roles import OrgKind

    from .fees import fee_late_universities_record

    key_date = KeyDate.objects.filter(loan_year__year=year, code="fee_standard_due").first()
    if key_date is None:
        return
    for university in Organisation.objects.filter(kind=OrgKind.UNIVERSITY):
        fee_late_universities_record(
            loan_year=year,
            key_date=key_date,
            organisation=university,
            as_of=timezone.localdate(),
            dry_run=False,
        )


def _last_year(context, year) -> None:
    """Last year's approved renewals for students still studying (the class reminder's borrowers)."""
    from .models import RenewalDeclaration
    from .services import renewal_declare, renewal_review

    users = context["users"]
    for student in context["students"]:
        if student.university_id is None or not student.university.in_province:
            continue
        if (student.enrolment_year or 0) + (student.study_years or 0) <= year:
            continue  # graduates this summer: no renewal expected
        officer = _officer(users, student.university)
        if officer is None or RenewalDeclaration.objects.filter(student=student, year=year - 1).exists():
            continue
        declaration = renewal_declare(
            actor=None,
            student=student,
            year=year - 1,
            tuition_amount=4000,
            accommodation_amount=800,
            statement="本人承诺继续申请生源地信用助学贷款。",
            contract_number=f"62{year - 2}{student.pk:06d}",
            declared_on=datetime.date(year - 1, 6, 20),
            source="import",
        )
        renewal_review(actor=officer, declaration=declaration, decision="approve")


def _this_year(context, year) -> None:
    """Half of last year's borrowers at each in-province university with an officer declare for this
    year (from the bank's system): the queue has pending work, the class reminder lists the other half."""
    from .models import RenewalDeclaration
    from .selectors import fee_standard_find
    from .services import renewal_declare

    last_year = RenewalDeclaration.objects.filter(year=year - 1, status="approved").select_related(
        "student__university"
    )
    for index, previous in enumerate(last_year.order_by("student__university_id", "pk")):
        student = previous.student
        if index % 2 or RenewalDeclaration.objects.filter(student=student, year=year).exists():
            continue
        fee = fee_standard_find(
            university=student.university, year=year, major=student.major, level=student.level
        )
        renewal_declare(
            actor=None,
            student=student,
            year=year,
            tuition_amount=fee.tuition if fee else 4000,
            accommodation_amount=fee.accommodation if fee else 800,
            statement="本人承诺继续申请生源地信用助学贷款，所填信息真实。",
            contract_number=previous.contract_number,
            source="import",
        )


def _graduates(context, year) -> None:
    """Half of this summer's graduating borrowers confirmed with contact and employment."""
    from .graduation import graduating_borrowers, student_graduation_update

    for university in context["universities"]:
        officer = _officer(context["users"], university)
        if officer is None:
            continue
        for index, student in enumerate(graduating_borrowers(user=officer, year=year)):
            if index % 2 or student.graduation_confirmed_at:
                continue
            student_graduation_update(
                actor=officer,
                student=student,
                graduation_date=datetime.date(year, 6, 30),
                phone=student.phone,
                address=student.address,
                employer=["兰州某科技有限公司", "天水市某中学", ""][index % 3],
                employment_status=["已就业", "已就业", "升学"][index % 3],
            )


def seed_university_year(context: dict) -> None:
    from deadlines.services import current_loan_year

    year = current_loan_year()
    students = list(
        Student.objects.filter(pk__in=[s.pk for s in context["students"]]).select_related("university")
    )
    _classes(students)
    context["students"] = list(
        Student.objects.filter(pk__in=[s.pk for s in students]).select_related(
            "university", "household_county"
        )
    )
    _accounts(context, year)
    _late(year)
    _last_year(context, year)
    _this_year(context, year)
    _graduates(context, year)
