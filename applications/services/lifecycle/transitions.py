"""The one transition service of an application, receipt entry, corrections, the calendar's abandonment."""

from django.db import transaction
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES, Role
from loanportal.transitions import apply_transition

from ...models import (
    Application,
    ApplicationCorrection,
    ApplicationStatus,
    CorrectionStatus,
)
from ...rules import lifecycle as rules
from .policy import NOTICE_8_ABANDON, amounts_check

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
    if application.status in RECEIPT_ALREADY_ENTERED:
        raise ConflictError(_receipt_already_entered_text(application), field="receipt_code")
    return application_transition(actor=actor, application=application, to=ApplicationStatus.RECEIPT_ENTERED)


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
    _correction_notify_managers(correction, application)
    return correction


def _correction_notify_managers(correction, application) -> None:
    """The county's managers other than the requester learn that a correction waits for their approval."""
    from loanportal.models import User
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
    """A county manager who did not request it approves (the change is applied and audited) or rejects."""
    locked = ApplicationCorrection.objects.select_for_update().get(pk=correction.pk)
    application = Application.objects.select_for_update().get(pk=locked.application_id)
    if getattr(actor, "role", None) != Role.COUNTY_MANAGER or application.county_id != actor.organisation_id:
        raise PermissionDeniedError("只有本县负责人可以审批更正")
    if locked.requested_by_id == actor.pk:
        raise PermissionDeniedError("不能审批自己提出的更正申请，请由另一位负责人审批")
    if application.created_by_id == actor.pk:
        # maker–checker (DESIGN.md): nobody approves a change to what they entered themselves
        raise PermissionDeniedError("不能审批自己录入的申请的更正，请由另一位负责人审批")
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
