"""The actions a user may take on an object — one function per state machine.

Pages loop over these (templates never re-encode a state machine or a role rule) and the API exposes
them as `available_actions`; the services refuse with the very same rule functions
(`rules.lifecycle.move_refusal`, `correction_*_refusal`, `rules.intake.appointment_refusal`).
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse

from .. import states
from ..models import Application, ApplicationCorrection, Appointment, CorrectionStatus
from ..rules import intake as intake_rules
from ..rules import lifecycle as rules


@dataclass(frozen=True)
class Action:
    code: str  # the API's and the URL's action name
    label: str
    needs_reason: bool = False
    danger: bool = False
    style: str = ""
    url: str = ""  # a link instead of a POST (e.g. the form that receives the application)
    confirm: str = ""
    asks_reason: bool = False


# Receipts are entered by code on the university's own page (回执录入), never from the application page;
# a disbursement needs its amounts and date (银行审批放款 page); archiving needs a box (归档 page).
_NOT_ON_THE_OBJECT = frozenset({states.RECEIPT_ENTERED, states.DISBURSED, states.ARCHIVED})
_ACTION_OF = {to: code for code, to in rules.ACTIONS.items()}
_SIGN_CONFIRM = (
    "确定为 {name} 签订贷款合同？签订后将生成合同号和回执码，此后修改金额须经本县另一位负责人审批。"
)


def _user_fields(user) -> dict:
    return {
        "role": getattr(user, "role", None) if user is not None else None,
        "organisation_id": getattr(user, "organisation_id", None),
    }


def _date_open(*, user, application: Application, to: str, today: datetime.date) -> bool:
    """A dated move (rules.DATED_MOVES) only while its key date is open for the user's organisation —
    the same calendar check application_transition makes."""
    if to not in rules.DATED_MOVES:
        return True
    from deadlines.services import is_open

    from ..services.lifecycle.transitions import calendar_organisation

    return is_open(rules.DATED_MOVES[to][0], calendar_organisation(user, to), on=today, year=application.year)


def application_actions_for(
    *, user, application: Application, today: datetime.date | None = None
) -> list[Action]:
    """The transitions this user may make on the application now (role, organisation, map, calendar)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    from django.utils import timezone

    today = today or timezone.localdate()
    who = _user_fields(user)
    actions = []
    for to in rules.ACTION_LABELS:
        if to in _NOT_ON_THE_OBJECT or to not in rules.ALLOWED_TRANSITIONS.get(application.status, ()):
            continue
        if (application.status, to) in states.APPLICATION_REASON_REQUIRED_MOVES:
            continue  # 回执退回: on the receipt confirmation page, with its reason
        refusal = rules.move_refusal(
            **who,
            status=application.status,
            county_id=application.county_id,
            university_id=application.university_id,
            has_contract=bool(application.contract_number),
            to=to,
        )
        if refusal is None and to == states.FEE_CERTIFIED:
            refusal = _fee_certificate_refusal(application)  # the money has not arrived yet
        if refusal is None and _date_open(user=user, application=application, to=to, today=today):
            actions.append(
                Action(
                    code=_ACTION_OF[to],
                    label=rules.ACTION_LABELS[to],
                    needs_reason=to in rules.REASON_REQUIRED,
                    danger=to in states.APPLICATION_DANGER,
                    confirm=_SIGN_CONFIRM.format(name=application.student.name)
                    if to == states.CONTRACT_SIGNED
                    else "",
                )
            )
    return actions


def _fee_certificate_refusal(application: Application):
    from ..rules.receipts import fee_certificate_refusal

    return fee_certificate_refusal(
        status=application.status,
        disbursed_on=application.disbursed_on,
        disbursed_to_university=application.disbursed_to_university,
    )


def correction_request_allowed(*, user, application: Application) -> bool:
    """Whether the user may ask for a correction of the application now (maker)."""
    return (
        rules.correction_request_refusal(
            **_user_fields(user),
            county_id=application.county_id,
            status=application.status,
            has_pending=application.corrections.filter(status=CorrectionStatus.PENDING).exists(),
        )
        is None
    )


def correction_actions_for(
    *, user, correction: ApplicationCorrection, application: Application
) -> list[Action]:
    """Approve / reject, for the county manager who neither asked for the correction nor entered the
    application (checker); nothing for anyone else."""
    refusal = rules.correction_decide_refusal(
        **_user_fields(user),
        user_pk=getattr(user, "pk", None),
        county_id=application.county_id,
        requested_by_id=correction.requested_by_id,
        created_by_id=application.created_by_id,
        status=correction.status,
    )
    if refusal is not None:
        return []
    return [
        Action(code="approve", label="批准", style="success"),
        Action(code="reject", label="驳回", style="outline-danger", danger=True),
    ]


def appointment_actions_for(*, user, appointment: Appointment, now: datetime.datetime) -> list[Action]:
    """The queue page's buttons for one appointment: the link to the application form (办理贷款) while the
    appointment is live, then the moves the services would accept now."""
    who = _user_fields(user)
    if who["role"] is None:
        return []
    actions = []
    for code, spec in intake_rules.APPOINTMENT_ACTIONS.items():
        refusal = intake_rules.appointment_refusal(
            action=code,
            **who,
            county_id=appointment.county_id,
            status=appointment.status,
            date=appointment.date,
            slot_ends_at=appointment.slot.ends_at if appointment.slot_id else None,
            now=now,
        )
        if refusal is None:
            actions.append(
                Action(
                    code=code,
                    label=spec.label,
                    style=spec.style,
                    confirm=spec.confirm,
                    asks_reason=spec.asks_reason,
                )
            )
    if actions and appointment.status in states.APPOINTMENT_LIVE:
        actions.insert(
            0,
            Action(
                code="open-form",
                label="办理贷款",
                style="primary" if appointment.status == states.CALLED else "outline-primary",
                url=reverse("application-new") + f"?appointment={appointment.pk}",
            ),
        )
    return actions


def fee_certificate_issuable(*, user, applications, today: datetime.date | None = None) -> set[int]:
    """The pks of the listed applications whose fee certificate (收费证明) this user may issue now: the
    same role/organisation rule, state map, arrival rule and calendar window (with the university's
    extension) the transition checks. The window is asked once per loan year, not per row."""
    from django.utils import timezone

    from deadlines.services import is_open

    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    today = today or timezone.localdate()
    who = _user_fields(user)
    code = rules.DATED_MOVES[states.FEE_CERTIFIED][0]
    windows: dict[int, bool] = {}
    issuable = set()
    for application in applications:
        if application.year not in windows:
            windows[application.year] = is_open(code, user.organisation, on=today, year=application.year)
        refusal = rules.move_refusal(
            **who,
            status=application.status,
            county_id=application.county_id,
            university_id=application.university_id,
            has_contract=bool(application.contract_number),
            to=states.FEE_CERTIFIED,
        ) or _fee_certificate_refusal(application)
        if refusal is None and windows[application.year]:
            issuable.add(application.pk)
    return issuable
