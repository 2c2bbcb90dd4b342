"""Receiving a first-loan application at the county (现场受理 → 受理, notice 三(六), 三(八), 八): the form's
checks, the student register, the application row, its links to the pre-application list and the queue.
(The queue itself — sites, slots, appointments — is `services.queue`.)"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from loanportal import services as core_services
from loanportal.audit import audit_record
from loanportal.errors import ConflictError, PermissionDeniedError
from loanportal.models import Student
from loanportal.roles import COUNTY_ROLES, OrgKind
from loanportal.rules import birth_date_of, normalise_id_number

from ... import states
from ...models import (
    Application,
    ApplicationStatus,
    PreApplication,
    PreApplicationStatus,
)
from ...models.application import CLOSED_STATES
from ...rules import lifecycle as rules
from .policy import amounts_check
from .transitions import application_transition

# --- intake: the application --------------------------------------------------------------------


def current_loan_year(on: datetime.date | None = None) -> int:
    """The loan year of the day: deadlines.services.current_loan_year (the one function)."""
    from deadlines.services import current_loan_year as calendar_loan_year

    return calendar_loan_year(on)


INTAKE_ACTION = "受理贷款申请"


def intake_closed_message(county, on: datetime.date | None = None) -> str | None:
    """Why the county cannot receive applications today (the very refusal application_create would give,
    with the real dates and the county's extension), or None while its intake window is open. The queue
    page and the form say it up front."""
    from deadlines.services import require_open
    from loanportal.errors import DomainError

    on = on or timezone.localdate()
    try:
        require_open("intake_window", county, on=on, action=INTAKE_ACTION, year=current_loan_year(on))
    except DomainError as exc:
        return exc.message
    return None


def live_application_elsewhere(*, id_number: str, year: int) -> Application | None:
    return (
        Application.objects.filter(student__id_number=normalise_id_number(id_number), year=year)
        .exclude(status__in=CLOSED_STATES)
        .select_related("county")
        .first()
    )


def _duplicate_message(existing: Application) -> str:
    # The county's name only: no other personal data crosses the county line.
    return f"该学生本年度已在{existing.county.name}申请贷款，不能重复申请"


def pre_application_for(*, id_number: str, year: int, county) -> PreApplication | None:
    """The student's listed pre-application of this year in this county (notice 三(六)), if any."""
    return PreApplication.objects.filter(
        id_number=normalise_id_number(id_number),
        year=year,
        county=county,
        status=PreApplicationStatus.LISTED,
    ).first()


def _intake_errors(
    *,
    year: int,
    county,
    id_number: str,
    study: dict,
    tuition_amount: int,
    accommodation_amount: int,
    co_borrower: dict | None,
    commitment_accepted: bool,
    today: datetime.date,
) -> tuple[dict, PreApplication | None]:
    """Field → Chinese message for everything wrong with the form (all at once), and the student's listed
    pre-application of this year in this county (notice 三(六)), if any."""
    errors = {}
    university = study.get("university")
    if university is None or getattr(university, "kind", None) != OrgKind.UNIVERSITY:
        errors["university"] = "请选择就读高校"
    try:
        amounts_check(
            year=year, level=study.get("level"), tuition=tuition_amount, accommodation=accommodation_amount
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if co_borrower:
        co_id = normalise_id_number(co_borrower.get("id_number", ""))
        if co_id == id_number:
            errors["co_id_number"] = "共同借款人不能是学生本人"
        else:
            try:
                message = rules.co_borrower_age_error(
                    relationship=co_borrower.get("relationship", ""),
                    birth_date=birth_date_of(co_id),
                    on=today,
                )
            except Exception:  # an invalid number is reported by the model's validator
                message = None
            if message:
                errors["co_relationship"] = message
    pre_application = pre_application_for(id_number=id_number, year=year, county=county)
    if pre_application is None and not commitment_accepted:
        errors["commitment_accepted"] = (
            "该学生未纳入预申请名单，须向其提示承诺不实应负的法律责任并由其签署书面承诺（通知三(八)）"
        )
    return errors, pre_application


def _student_register(*, actor, county, id_number: str, student: dict, study: dict) -> Student:
    """The borrowing student in the register: new (student_create) or updated (student_update); a student
    of another household county is sent to that county."""
    data = {
        "name": student["name"].strip(),
        "phone": student.get("phone", ""),
        "address": student.get("address", ""),
        "university": study.get("university"),
        "level": study.get("level"),
        "major": study["major"].strip(),
        "enrolment_year": study["enrolment_year"],
        "study_years": study["study_years"],
    }
    registered = Student.objects.filter(id_number=id_number).first()
    if registered is None:
        return core_services.student_create(
            actor=actor, id_number=id_number, household_county=county, reason="首贷受理", **data
        )
    if registered.household_county_id != county.pk:
        raise ConflictError(f"该学生的生源地为{registered.household_county.name}，请到生源地县级资助中心办理")
    return core_services.student_update(actor=actor, student=registered, reason="首贷受理时更新", **data)


def _co_borrower_register(*, actor, student: Student, co_borrower: dict | None):
    if not co_borrower:
        return None
    co_id = normalise_id_number(co_borrower["id_number"])
    existing = student.co_borrowers.filter(id_number=co_id).first()
    if existing is not None:
        return existing
    return core_services.co_borrower_add(
        actor=actor,
        student=student,
        name=co_borrower["name"].strip(),
        id_number=co_id,
        relationship=co_borrower["relationship"],
        phone=co_borrower.get("phone", ""),
    )


def _application_save(application: Application, *, id_number: str, year: int) -> Application:
    application.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:  # a second county won the race: the constraint refuses
        existing = live_application_elsewhere(id_number=id_number, year=year)
        raise ConflictError(
            _duplicate_message(existing) if existing else "该学生本年度已有贷款申请，不能重复申请"
        ) from exc
    return application


def _links_close(*, actor, application: Application, student: Student, pre_application, appointment) -> None:
    """The pre-application becomes 已受理贷款 (its own audited transition) and the student called to the
    window has been served (办结): the queue moves on."""
    if pre_application is not None:
        from ..preapplications import pre_application_transition

        pre_application_transition(
            actor=actor,
            pre_application=pre_application,
            to=PreApplicationStatus.APPLIED,
            reason="已受理贷款申请",
            extra={"student": student},
        )
    if appointment is not None and appointment.status == states.CALLED:
        from ..queue import appointment_serve

        appointment_serve(actor=actor, appointment=appointment)


@transaction.atomic
def application_create(
    *,
    actor,
    student: dict,
    co_borrower: dict | None,
    study: dict,
    tuition_amount: int,
    accommodation_amount: int,
    commitment_accepted: bool = False,
    appointment=None,
    on: datetime.date | None = None,
    check_window: bool = True,
) -> Application:
    """Receive a first-loan application at the county (现场受理) and accept it (受理).

    `student`: name, id_number, phone, address (household county = the clerk's county).
    `co_borrower`: name, id_number, relationship, phone. `study`: university, major, level,
    enrolment_year, study_years. A student on this county's pre-application list skips the eligibility
    review (notice 三(六)); anyone else signs the written commitment (notice 三(八)): the clerk records
    that the legal-liability notice was read and accepted. No civil-affairs certificate is asked for.
    `check_window=False` is for tests of other rules only (intake outside the county's intake window).
    """
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError("只有县级资助中心可以受理贷款申请")
    county = actor.organisation
    today = on or timezone.localdate()
    year = current_loan_year(today)
    if check_window:
        from deadlines.services import require_open

        require_open("intake_window", county, on=today, action=INTAKE_ACTION, year=year)

    id_number = normalise_id_number(student.get("id_number", ""))
    existing = live_application_elsewhere(id_number=id_number, year=year)
    if existing is not None:
        if existing.county_id == county.pk:
            raise ConflictError("该学生本年度已在本县申请贷款，不能重复申请")
        raise ConflictError(_duplicate_message(existing))
    errors, pre_application = _intake_errors(
        year=year,
        county=county,
        id_number=id_number,
        study=study,
        tuition_amount=tuition_amount,
        accommodation_amount=accommodation_amount,
        co_borrower=co_borrower,
        commitment_accepted=commitment_accepted,
        today=today,
    )
    if errors:
        raise ValidationError(errors)

    registered = _student_register(
        actor=actor, county=county, id_number=id_number, student=student, study=study
    )
    co = _co_borrower_register(actor=actor, student=registered, co_borrower=co_borrower)
    committed = bool(commitment_accepted) and pre_application is None
    application = _application_save(
        Application(
            year=year,
            student=registered,
            county=county,
            co_borrower=co,
            pre_application=pre_application,
            appointment=appointment,
            university=study.get("university"),
            level=study.get("level"),
            major=study["major"].strip(),
            enrolment_year=study["enrolment_year"],
            study_years=study["study_years"],
            tuition_amount=tuition_amount,
            accommodation_amount=accommodation_amount,
            commitment_accepted=committed,
            commitment_accepted_at=timezone.now() if committed else None,
            commitment_recorded_by=actor if committed else None,
            created_by=actor,
        ),
        id_number=id_number,
        year=year,
    )
    _links_close(
        actor=actor,
        application=application,
        student=registered,
        pre_application=pre_application,
        appointment=appointment,
    )
    audit_record(
        actor=actor,
        action="application.create",
        obj=application,
        new={
            "year": year,
            "合计金额（元）": application.total_amount,
            "资格": "预申请" if pre_application else "书面承诺",
        },
        reason="预申请学生，免现场资格审核（通知三(六)）"
        if pre_application
        else "已提示承诺不实的法律责任，学生签署书面承诺（通知三(八)）",
        organisation=county,
        university=application.university,
    )
    return application_transition(actor=actor, application=application, to=ApplicationStatus.ACCEPTED)
