"""Writes of the first-loan application (首贷申请): policy parameters, intake, the one transition service,
contract and receipt code, receipt entry, maker–checker corrections, the calendar's abandonment."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from loanportal import services as core_services
from loanportal.audit import audit_record, model_snapshot
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Organisation, Student, StudyLevel
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES, OrgKind, Role
from loanportal.rules import birth_date_of, normalise_id_number
from loanportal.transitions import apply_transition

from ..models import (
    Application,
    ApplicationCorrection,
    ApplicationStatus,
    CorrectionStatus,
    LoanPolicy,
    PreApplication,
    PreApplicationStatus,
)
from ..models.application import CLOSED_STATES
from ..rules import lifecycle as rules

POLICY_FIELDS = [
    "effective_from",
    "undergraduate_limit",
    "graduate_limit",
    "minimum_amount",
    "rate_rule",
    "rate_spread_bp",
]
POLICY_EDITOR_ROLES = frozenset({Role.PROVINCE_MANAGER})
NOTICE_8_ABANDON = "逾期未录入回执，视为该校借款学生放弃当年贷款申请（通知八：10月10日前完成回执录入）"


# --- policy parameters --------------------------------------------------------------------------


def loan_policy_for(year: int) -> LoanPolicy:
    """The policy parameters of loan year `year`, created from the defaults table when missing."""
    policy = LoanPolicy.objects.filter(year=year).first()
    if policy is not None:
        return policy
    defaults = rules.policy_defaults(year)
    policy = LoanPolicy(
        year=year,
        effective_from=defaults.effective_from,
        undergraduate_limit=defaults.undergraduate_limit,
        graduate_limit=defaults.graduate_limit,
        minimum_amount=defaults.minimum_amount,
        rate_rule=defaults.rate_rule,
        rate_spread_bp=defaults.rate_spread_bp or 0,
    )
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # created concurrently
        return LoanPolicy.objects.get(year=year)
    audit_record(
        actor=None,
        action="loan_policy.create",
        obj=policy,
        new=model_snapshot(policy, POLICY_FIELDS),
        reason="按默认参数表建立",
    )
    return policy


@transaction.atomic
def loan_policy_update(*, actor, policy: LoanPolicy, reason: str, **changes) -> LoanPolicy:
    """Edit a loan year's parameters (province manager, with a reason; audited old → new)."""
    if getattr(actor, "role", None) not in POLICY_EDITOR_ROLES:
        raise PermissionDeniedError("只有省中心负责人可以修改年度政策参数")
    if len((reason or "").strip()) < 2:
        raise DomainError("请填写修改原因", field="reason")
    locked = LoanPolicy.objects.select_for_update().get(pk=policy.pk)
    old = model_snapshot(locked, POLICY_FIELDS)
    for name, value in changes.items():
        if name not in POLICY_FIELDS:
            raise DomainError(f"不能修改字段“{name}”")
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    new = model_snapshot(locked, POLICY_FIELDS)
    changed = {k for k in new if new[k] != old[k]}
    if changed:
        audit_record(
            actor=actor,
            action="loan_policy.update",
            obj=locked,
            old={k: old[k] for k in changed},
            new={k: new[k] for k in changed},
            reason=reason.strip(),
            organisation=actor.organisation,
        )
    return locked


def amounts_check(*, year: int, level: str, tuition: int, accommodation: int) -> None:
    """Raise ValidationError (per field) unless the amounts fit the year's parameters."""
    policy = loan_policy_for(year)
    errors = rules.amount_errors(
        tuition=tuition,
        accommodation=accommodation,
        limit=policy.limit_for(level),
        minimum=policy.minimum_amount,
        level_label=StudyLevel(level).label if level in StudyLevel.values else level,
    )
    if errors:
        raise ValidationError(errors)


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
        PreApplication.objects.filter(pk=pre_application.pk).update(
            status=PreApplicationStatus.APPLIED, student=registered
        )
    if appointment is not None and appointment.status == "called":
        # The student called to the window has been served (办结): the queue moves on.
        from .intake import appointment_serve

        appointment_serve(actor=actor, appointment=appointment)
    audit_record(
        actor=actor,
        action="application.create",
        obj=application,
        new={
            "year": year,
            "total_amount": application.total_amount,
            "eligibility": "预申请" if pre_application else "书面承诺",
        },
        reason="预申请学生，免现场资格审核（通知三(六)）"
        if pre_application
        else "已提示承诺不实的法律责任，学生签署书面承诺（通知三(八)）",
        organisation=county,
        university=university,
    )
    return application_transition(actor=actor, application=application, to=ApplicationStatus.ACCEPTED)


# --- the one transition service -----------------------------------------------------------------


def _check_actor(*, actor, application: Application, to: str) -> None:
    if actor is None:
        if to not in rules.TRANSITION_ROLES or rules.SYSTEM not in rules.TRANSITION_ROLES[to]:
            raise PermissionDeniedError("系统不能执行此操作")
        return
    role = getattr(actor, "role", "")
    label = ApplicationStatus(to).label if to in ApplicationStatus.values else to
    if not rules.role_may_move(role, to):
        raise PermissionDeniedError(f"您的角色不能将申请变更为“{label}”")
    org_id = actor.organisation_id
    if role in COUNTY_ROLES and application.county_id != org_id:
        raise PermissionDeniedError("只能办理本县受理的申请")
    if role in UNIVERSITY_ROLES and application.university_id != org_id:
        raise PermissionDeniedError("只能办理本校学生的申请")


def _next_contract_number(application: Application) -> str:
    # Lock the county row: contract numbers of one county and year are handed out one at a time.
    county = Organisation.objects.select_for_update().get(pk=application.county_id)
    prefix = f"{application.year}{county.code}"
    last = (
        Application.objects.filter(contract_number__startswith=prefix)
        .order_by("-contract_number")
        .values_list("contract_number", flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return rules.contract_number_format(year=application.year, county_code=county.code, sequence=sequence)


def _unused_receipt_code() -> str:
    for _ in range(20):
        code = rules.receipt_code_generate()
        if not Application.objects.filter(receipt_code=code).exists():
            return code
    raise ConflictError("生成回执码失败，请重试")  # pragma: no cover - 32^9 codes


@transaction.atomic
def application_transition(*, actor, application: Application, to: str, reason: str = "") -> Application:
    """The one state change of an application (DESIGN.md states): checks the map, the role, the
    organisation and the reason, locks the row, saves and writes the audit row with the reason.
    Signing (签订合同) gives the contract number and the receipt code (回执码)."""
    _check_actor(actor=actor, application=application, to=to)
    now = timezone.now()
    extra = {}
    if to == ApplicationStatus.ACCEPTED:
        extra["accepted_at"] = now
    elif to == ApplicationStatus.CONTRACT_SIGNED:
        current = Application.objects.only("status").get(pk=application.pk).status
        if current == ApplicationStatus.ACCEPTED:  # the map check follows in apply_transition
            extra["contract_number"] = _next_contract_number(application)
            extra["receipt_code"] = _unused_receipt_code()
            extra["contract_signed_at"] = now
    return apply_transition(
        instance=application,
        to=to,
        actor=actor,
        allowed=rules.ALLOWED_TRANSITIONS,
        reason=(reason or "").strip(),
        reason_required_for=rules.REASON_REQUIRED,
        labels=ApplicationStatus,
        organisation=application.county,
        university=application.university,
        extra=extra,
        action_prefix="application",
    )


def application_act(*, actor, application: Application, action: str, reason: str = "") -> Application:
    """The API's and the buttons' action names (accept, sign, return, …) → the transition."""
    if action not in rules.ACTIONS:
        raise DomainError(f"未知的操作“{action}”")
    return application_transition(
        actor=actor, application=application, to=rules.ACTIONS[action], reason=reason
    )


# --- receipt entry (回执录入) by the university ----------------------------------------------------


def receipt_enter(*, actor, receipt_code: str) -> Application:
    """The university enters a student's receipt by its code: the check character first
    ("回执码校验位错误，请核对"), then the code among its own students ("未找到该回执码")."""
    if getattr(actor, "role", None) not in UNIVERSITY_ROLES:
        raise PermissionDeniedError("只有高校可以录入回执")
    code = rules.receipt_code_normalise(receipt_code)
    if not rules.receipt_code_is_valid(code):
        raise DomainError("回执码校验位错误，请核对", field="receipt_code")
    application = Application.objects.filter(receipt_code=code, university_id=actor.organisation_id).first()
    if application is None:
        raise DomainError("未找到该回执码", field="receipt_code")
    return application_transition(actor=actor, application=application, to=ApplicationStatus.RECEIPT_ENTERED)


# --- corrections to a signed application (maker–checker) ----------------------------------------


@transaction.atomic
def correction_request(
    *, actor, application: Application, changes: dict, reason: str
) -> ApplicationCorrection:
    """A county clerk asks to correct a signed application; a different county manager approves."""
    if getattr(actor, "role", None) not in COUNTY_ROLES or application.county_id != actor.organisation_id:
        raise PermissionDeniedError("只能更正本县受理的申请")
    if application.status not in rules.CORRECTABLE_STATES:
        raise ConflictError("只有已签合同、回执未经银行审批的申请需要走更正审批")
    if len((reason or "").strip()) < 2:
        raise DomainError("请填写更正原因", field="reason")
    unknown = set(changes) - set(rules.CORRECTABLE_FIELDS)
    if unknown or not changes:
        raise DomainError("只能更正金额、专业、入学年份和学制")
    correction = ApplicationCorrection(
        application=application, changes=changes, reason=reason.strip(), requested_by=actor
    )
    correction.full_clean()
    correction.save()
    audit_record(
        actor=actor,
        action="application.correction_request",
        obj=application,
        old={k: getattr(application, k) for k in changes},
        new=changes,
        reason=correction.reason,
        organisation=application.county,
        university=application.university,
    )
    return correction


@transaction.atomic
def correction_decide(
    *, actor, correction: ApplicationCorrection, approve: bool, note: str = ""
) -> ApplicationCorrection:
    """A county manager who did not request it approves (the change is applied and audited) or rejects."""
    locked = ApplicationCorrection.objects.select_for_update().get(pk=correction.pk)
    application = Application.objects.select_for_update().get(pk=locked.application_id)
    if getattr(actor, "role", None) != Role.COUNTY_MANAGER or application.county_id != actor.organisation_id:
        raise PermissionDeniedError("只有本县负责人可以审批更正")
    if locked.requested_by_id == actor.pk:
        raise PermissionDeniedError("不能审批自己提出的更正申请，请由另一位负责人审批")
    if locked.status != CorrectionStatus.PENDING:
        raise ConflictError("该更正申请已处理")
    locked.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), (note or "")[:200]
    old = {k: getattr(application, k) for k in locked.changes}
    if approve:
        if application.status not in rules.CORRECTABLE_STATES:
            raise ConflictError("申请状态已变化，不能再更正")
        for name, value in locked.changes.items():
            setattr(application, name, value)
        amounts_check(
            year=application.year,
            level=application.level,
            tuition=application.tuition_amount,
            accommodation=application.accommodation_amount,
        )
        application.full_clean(validate_constraints=False)
        application.save()
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action="application.correction_approve" if approve else "application.correction_reject",
        obj=application,
        old=old if approve else None,
        new=dict(locked.changes) if approve else None,
        reason=f"{locked.reason}；{note}" if note else locked.reason,
        organisation=application.county,
        university=application.university,
    )
    return locked


# --- the calendar (notice 八) ---------------------------------------------------------------------


def abandon_unreceipted(*, loan_year, key_date=None, organisation=None, as_of=None, dry_run=False):
    """Enforcement of `receipt_entry_due` (notice 八): applications of the year still waiting for the
    university's receipt are abandoned (视为放弃) by the system, with the notice as the reason.
    Idempotent: a second run finds nothing left in contract_signed."""
    year = getattr(loan_year, "year", loan_year)
    pending = Application.objects.filter(year=year, status=ApplicationStatus.CONTRACT_SIGNED)
    if organisation is not None:
        pending = pending.filter(university=organisation)
    touched = []
    for application in pending.select_related("student", "county", "university").order_by("pk"):
        description = f"{application.university.name}：{application.student.name}的申请视为放弃"
        if not dry_run:
            application = application_transition(
                actor=None, application=application, to=ApplicationStatus.ABANDONED, reason=NOTICE_8_ABANDON
            )
        touched.append((application, description))
    return touched
