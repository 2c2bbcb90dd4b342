"""County intake of a first-loan application (现场受理, notice 三(六), 三(八), 八)."""

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
    """Intake (7/15–9/20) happens inside the calendar year of its loan year."""
    return (on or timezone.localdate()).year


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
    `check_window=False` is for demo data only (intake outside the county's intake window).
    """
    if getattr(actor, "role", None) not in COUNTY_ROLES:
        raise PermissionDeniedError("只有县级资助中心可以受理贷款申请")
    county = actor.organisation
    today = on or timezone.localdate()
    year = current_loan_year(today)
    if check_window:
        from deadlines.services import require_open

        require_open("intake_window", county, on=today, action="受理贷款申请", year=year)

    id_number = normalise_id_number(student.get("id_number", ""))
    existing = live_application_elsewhere(id_number=id_number, year=year)
    if existing is not None:
        if existing.county_id == county.pk:
            raise ConflictError("该学生本年度已在本县申请贷款，不能重复申请")
        raise ConflictError(_duplicate_message(existing))

    errors = {}
    university = study.get("university")
    level = study.get("level")
    if university is None or getattr(university, "kind", None) != OrgKind.UNIVERSITY:
        errors["university"] = "请选择就读高校"
    try:
        amounts_check(year=year, level=level, tuition=tuition_amount, accommodation=accommodation_amount)
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
    if errors:
        raise ValidationError(errors)

    student_data = {
        "name": student["name"].strip(),
        "phone": student.get("phone", ""),
        "address": student.get("address", ""),
        "university": university,
        "level": level,
        "major": study["major"].strip(),
        "enrolment_year": study["enrolment_year"],
        "study_years": study["study_years"],
    }
    registered = Student.objects.filter(id_number=id_number).first()
    if registered is None:
        registered = core_services.student_create(
            actor=actor, id_number=id_number, household_county=county, reason="首贷受理", **student_data
        )
    else:
        if registered.household_county_id != county.pk:
            raise ConflictError(
                f"该学生的生源地为{registered.household_county.name}，请到生源地县级资助中心办理"
            )
        registered = core_services.student_update(
            actor=actor, student=registered, reason="首贷受理时更新", **student_data
        )

    co = None
    if co_borrower:
        co_id = normalise_id_number(co_borrower["id_number"])
        co = registered.co_borrowers.filter(id_number=co_id).first()
        if co is None:
            co = core_services.co_borrower_add(
                actor=actor,
                student=registered,
                name=co_borrower["name"].strip(),
                id_number=co_id,
                relationship=co_borrower["relationship"],
                phone=co_borrower.get("phone", ""),
            )

    now = timezone.now()
    application = Application(
        year=year,
        student=registered,
        county=county,
        co_borrower=co,
        pre_application=pre_application,
        appointment=appointment,
        university=university,
        level=level,
        major=student_data["major"],
        enrolment_year=study["enrolment_year"],
        study_years=study["study_years"],
        tuition_amount=tuition_amount,
        accommodation_amount=accommodation_amount,
        commitment_accepted=bool(commitment_accepted) and pre_application is None,
        commitment_accepted_at=now if commitment_accepted and pre_application is None else None,
        commitment_recorded_by=actor if commitment_accepted and pre_application is None else None,
        created_by=actor,
    )
    application.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:  # a second county won the race: the constraint refuses
        existing = live_application_elsewhere(id_number=id_number, year=year)
        raise ConflictError(
            _duplicate_message(existing) if existing else "该学生本年度已有贷款申请，不能重复申请"
        ) from exc
    if pre_application is not None:
        # through the pre-application's own transition service, so the change is audited as well
        from ..preapplications import pre_application_transition

        pre_application_transition(
            actor=actor,
            pre_application=pre_application,
            to=PreApplicationStatus.APPLIED,
            reason="已受理贷款申请",
            extra={"student": registered},
        )
    if appointment is not None and appointment.status == "called":
        # The student called to the window has been served (办结): the queue moves on.
        from ..intake import appointment_serve

        appointment_serve(actor=actor, appointment=appointment)
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
        university=university,
    )
    return application_transition(actor=actor, application=application, to=ApplicationStatus.ACCEPTED)
