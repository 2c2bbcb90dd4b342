"""The one transition service of an application, receipt entry, corrections, the calendar's abandonment."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from deadlines.services import deadline_for, require_open
from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import UNIVERSITY_ROLES
from loanportal.transitions import apply_transition

from ... import states
from ...models import (
    Application,
    ApplicationCorrection,
    ApplicationStatus,
    CorrectionStatus,
    PreApplication,
)
from ...rules import lifecycle as rules
from ...rules.refusals import refuse
from .policy import amounts_check, notice_8_abandon_reason

# --- the one transition service -----------------------------------------------------------------

# Moves with a date on the calendar (notice 八): key date code and the action named in the refusal.
DATED_MOVES = rules.DATED_MOVES


def _check_actor(*, actor, application: Application, to: str) -> None:
    """The same check the pages and the API render their buttons from (rules.move_refusal)."""
    refuse(
        rules.move_refusal(
            role=None if actor is None else getattr(actor, "role", ""),
            organisation_id=getattr(actor, "organisation_id", None),
            status=application.status,
            county_id=application.county_id,
            university_id=application.university_id,
            has_contract=bool(application.contract_number),
            to=to,
        )
    )


def _next_contract_number(application: Application) -> str:
    # Lock the county row: contract numbers of one county and year are handed out one at a time.
    # FOR NO KEY UPDATE: it does not block the FOR KEY SHARE that every insert referencing the county
    # (audit rows, appointments) takes at commit, which deadlocked with FOR UPDATE (issue 7 item 2).
    county = Organisation.objects.select_for_update(no_key=True).get(pk=application.county_id)
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


BANK_MOVES = frozenset(
    {ApplicationStatus.BANK_APPROVED, ApplicationStatus.BANK_DECLINED, ApplicationStatus.DISBURSED}
)


def calendar_organisation(actor, to: str):
    """Whose key date (and extension) a dated move is checked against: the actor's organisation — except a
    province officer recording the bank's status from its spreadsheet, who acts on the bank's date."""
    from loanportal.roles import PROVINCE_ROLES, OrgKind

    if to in BANK_MOVES and getattr(actor, "role", None) in PROVINCE_ROLES:
        bank = Organisation.objects.filter(kind=OrgKind.BANK, is_active=True).order_by("pk").first()
        if bank is not None:
            return bank
    return actor.organisation


@transaction.atomic
def application_transition(
    *,
    actor,
    application: Application,
    to: str,
    reason: str = "",
    on: datetime.date | None = None,
    disbursement: dict | None = None,
    archive_box=None,
) -> Application:
    """The one state change of an application (DESIGN.md states): checks the map, the role, the
    organisation and the reason, locks the row, saves and writes the audit row with the reason.
    Signing (签订合同) gives the contract number and the receipt code (回执码). A receipt sent back
    (回执已录入 → 已签合同) needs a reason and clears who entered it. `disbursement` (放款: disbursed_on,
    disbursed_to_university, disbursed_to_student, checked by services.yearend) and `archive_box` (归档)
    are stored with their move."""
    _check_actor(actor=actor, application=application, to=to)
    current = Application.objects.only("status").get(pk=application.pk).status  # the caller's may be stale
    if (current, to) in states.APPLICATION_REASON_REQUIRED_MOVES and not (reason or "").strip():
        raise DomainError("退回回执必须填写原因", field="reason")
    if actor is not None and to in DATED_MOVES and to in rules.ALLOWED_TRANSITIONS.get(current, ()):
        # the same calendar check as intake (deadlines.require_open): the key date of the application's
        # loan year, with the acting organisation's extension; the message prints the real date
        code, action = DATED_MOVES[to]
        require_open(
            code,
            calendar_organisation(actor, to),
            on=on or timezone.localdate(),
            year=application.year,
            action=action,
        )
    now = timezone.now()
    extra = {}
    if to == ApplicationStatus.ACCEPTED:
        extra["accepted_at"] = now
    elif to == ApplicationStatus.CONTRACT_SIGNED:
        if current == ApplicationStatus.ACCEPTED:  # the map check follows in apply_transition
            extra["contract_number"] = _next_contract_number(application)
            extra["receipt_code"] = _unused_receipt_code()
            extra["contract_signed_at"] = now
        elif current == ApplicationStatus.RECEIPT_ENTERED:  # 回执退回: the university enters it again
            extra.update(receipt_entered_at=None, receipt_entered_by=None)
    elif to == ApplicationStatus.RECEIPT_ENTERED:
        extra.update(receipt_entered_at=now, receipt_entered_by=actor)
    elif to == ApplicationStatus.RECEIPT_CONFIRMED:
        extra.update(receipt_confirmed_at=now, receipt_confirmed_by=actor)
    elif to == ApplicationStatus.BANK_APPROVED:
        extra["bank_approved_at"] = now
    elif to == ApplicationStatus.BANK_DECLINED:
        extra["bank_decline_reason"] = (reason or "").strip()[:500]
    elif to == ApplicationStatus.DISBURSED and disbursement:
        extra.update(
            {
                key: disbursement[key]
                for key in ("disbursed_on", "disbursed_to_university", "disbursed_to_student")
            }
        )
    elif to == ApplicationStatus.ARCHIVED and archive_box is not None:
        extra["archive_box"] = archive_box
    certificate_sequence = None
    if to == ApplicationStatus.FEE_CERTIFIED and actor is not None:
        # 收费证明: only once the bank's money has arrived; numbered per university and year (locked)
        from .fee_certificates import fee_certificate_check, fee_certificate_next_sequence

        fee_certificate_check(Application.objects.get(pk=application.pk))
        certificate_sequence = fee_certificate_next_sequence(application)
    moved = apply_transition(
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
    if certificate_sequence is not None:
        from .fee_certificates import fee_certificate_create

        fee_certificate_create(actor=actor, application=moved, sequence=certificate_sequence)
    if to in rules.CLOSED_STATES and moved.pre_application_id:
        _pre_application_relist(actor=actor, application=moved, reason=reason)
    return moved


def _pre_application_relist(*, actor, application: Application, reason: str) -> None:
    """A closed application gives its student back to the county's pre-application list (已预申请), so
    the student may apply again as pre-applied (notice 三(六)); audited by the list's own transition."""
    from ..preapplications import pre_application_transition

    pre_application = PreApplication.objects.get(pk=application.pre_application_id)
    if pre_application.status != states.PRE_APPLIED:
        return
    label = ApplicationStatus(application.status).label
    pre_application_transition(
        actor=actor,
        pre_application=pre_application,
        to=states.PRE_LISTED,
        reason=f"贷款申请{label}，恢复为已预申请：{reason}".strip("：")[:500],
    )


def application_act(*, actor, application: Application, action: str, reason: str = "") -> Application:
    """The API's and the buttons' action names (accept, sign, return, …) → the transition."""
    if action not in rules.ACTIONS:
        raise DomainError(f"未知的操作“{action}”")
    return application_transition(
        actor=actor, application=application, to=rules.ACTIONS[action], reason=reason
    )


# --- receipt entry (回执录入) by the university ----------------------------------------------------


def receipt_enter(*, actor, receipt_code: str, on: datetime.date | None = None) -> Application:
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
    if application.status in RECEIPT_ALREADY_ENTERED:
        raise ConflictError(_receipt_already_entered_text(application), field="receipt_code")
    return application_transition(
        actor=actor, application=application, to=ApplicationStatus.RECEIPT_ENTERED, on=on
    )


# A repeated receipt says it was already entered, by whom and when (not a bare state-machine refusal).
RECEIPT_ALREADY_ENTERED = frozenset(
    {
        ApplicationStatus.RECEIPT_ENTERED,
        ApplicationStatus.RECEIPT_CONFIRMED,
        ApplicationStatus.BANK_APPROVED,
        ApplicationStatus.DISBURSED,
        ApplicationStatus.FEE_CERTIFIED,
        ApplicationStatus.ARCHIVED,
    }
)


def _receipt_already_entered_text(application) -> str:
    from loanportal.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            object_type=application._meta.label_lower,
            object_pk=str(application.pk),
            action="application.receipt_entered",
        )
        .select_related("actor")
        .order_by("pk")
        .first()
    )
    if event is None:
        return f"{application.student.name}的回执已录入，无需重复录入"
    who = str(event.actor) if event.actor else event.actor_username
    when = timezone.localtime(event.created_at)
    return (
        f"{application.student.name}的回执已于{when.year}年{when.month}月{when.day}日 {when:%H:%M} "
        f"由{who}录入，无需重复录入"
    )


# --- corrections to a signed application (maker–checker) ----------------------------------------


_raise = refuse


@transaction.atomic
def correction_request(
    *, actor, application: Application, changes: dict, reason: str
) -> ApplicationCorrection:
    """A county clerk asks to correct a signed application; a different county manager approves. One
    pending correction per application: the application row is locked, and a partial unique constraint
    refuses a second one from a concurrent request."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    refusal = rules.correction_request_refusal(
        role=getattr(actor, "role", None),
        organisation_id=getattr(actor, "organisation_id", None),
        county_id=application.county_id,
        status=application.status,
        has_pending=application.corrections.filter(status=CorrectionStatus.PENDING).exists(),
    )
    _raise(refusal)
    if len((reason or "").strip()) < 2:
        raise DomainError("请填写更正原因", field="reason")
    unknown = set(changes) - set(rules.CORRECTABLE_FIELDS)
    if unknown or not changes:
        raise DomainError("只能更正金额、专业、入学年份和学制")
    correction = ApplicationCorrection(
        application=application, changes=changes, reason=reason.strip(), requested_by=actor
    )
    correction.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            correction.save()
    except IntegrityError as exc:
        raise ConflictError("该申请已有待审批的更正申请，请等待审批后再提交") from exc
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
    _correction_notify_managers(correction, application)
    return correction


def _correction_notify_managers(correction, application) -> None:
    """The county's managers other than the requester learn that a correction waits for their approval."""
    from loanportal.models import User
    from loanportal.roles import Role
    from loanportal.services import notification_send

    managers = User.objects.filter(
        organisation_id=application.county_id, role=Role.COUNTY_MANAGER, is_active=True
    ).exclude(pk=correction.requested_by_id)
    notification_send(
        recipients=managers,
        title=f"更正待审批：{application.student.name}",
        body=f"{correction.requested_by}申请更正{application.student.name}的贷款申请（原因：{correction.reason}），"
        "须由本县另一位负责人审批后生效。",
        url=f"/applications/{application.pk}/",
        category="correction",
        level="warning",
        dedupe_key=f"correction-pending-{correction.pk}",
    )


@transaction.atomic
def correction_decide(
    *, actor, correction: ApplicationCorrection, approve: bool, note: str = ""
) -> ApplicationCorrection:
    """A county manager who did not request it approves (the change is applied) or rejects (审批更正).
    The decision is the correction's own transition (states.CORRECTION_TRANSITIONS); its one audit row
    stands on the application, with the corrected fields old → new."""
    locked = ApplicationCorrection.objects.select_for_update().get(pk=correction.pk)
    application = Application.objects.select_for_update().get(pk=locked.application_id)
    refusal = rules.correction_decide_refusal(
        role=getattr(actor, "role", None),
        user_pk=getattr(actor, "pk", None),
        organisation_id=getattr(actor, "organisation_id", None),
        county_id=application.county_id,
        requested_by_id=locked.requested_by_id,
        created_by_id=application.created_by_id,
        status=locked.status,
    )
    _raise(refusal)
    note = (note or "")[:200]
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
    return apply_transition(
        instance=locked,
        to=CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED,
        actor=actor,
        allowed=states.CORRECTION_TRANSITIONS,
        reason=f"{locked.reason}；{note}" if note else locked.reason,
        labels=CorrectionStatus,
        organisation=application.county,
        university=application.university,
        extra={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
        audit={
            "action": "application.correction_approve" if approve else "application.correction_reject",
            "obj": application,
            "old": old if approve else None,
            "new": dict(locked.changes) if approve else None,
        },
    )


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
    deadlines = {}
    for application in pending.select_related("student", "county", "university").order_by("pk"):
        description = f"{application.university.name}：{application.student.name}的申请视为放弃"
        if application.university_id not in deadlines:
            deadlines[application.university_id] = deadline_for(
                "receipt_entry_due", application.university, year=year
            )
        if not dry_run:
            application = application_transition(
                actor=None,
                application=application,
                to=ApplicationStatus.ABANDONED,
                reason=notice_8_abandon_reason(deadlines[application.university_id]),
            )
        touched.append((application, description))
    return touched
