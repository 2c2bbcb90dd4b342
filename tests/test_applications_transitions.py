"""The application state machine (DESIGN.md states): every allowed transition with the role that may make
it, refused moves and roles, reasons, maker–checker corrections, receipt entry by code, and the
abandonment of unreceipted applications on the calendar (notice 八)."""

import pytest

from applications import states
from applications.models import Application, ApplicationStatus
from applications.rules import lifecycle as rules
from applications.services import lifecycle as services
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent
from tests.factories_lifecycle import RECEIPT_DAY, STEP_DAY, make_application, open_calendar

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calendar(db):
    """Loan year 2026 with the default calendar of notice 八 (receipt entry is checked against it)."""
    open_calendar(2026)


MAIN_PATH = [
    "accepted",
    "contract_signed",
    "receipt_entered",
    "receipt_confirmed",
    "bank_approved",
    "disbursed",
    "fee_certified",
    "archived",
]
ACTOR_FOR = {
    "accepted": "county1_staff",
    "contract_signed": "county1_staff",
    "returned": "county1_staff",
    "rejected": "county1_manager",
    "withdrawn": "county1_staff",
    "receipt_confirmed": "county1_staff",
    "archived": "county1_manager",
    "receipt_entered": "university1_officer",
    "fee_certified": "university1_officer",
    "bank_approved": "bank_officer",
    "bank_declined": "bank_officer",
    "disbursed": "bank_officer",
}
# The map of ../shared/DESIGN.md ("Application states") with issue 8's corrections — written out here, not
# read from rules, so a change to the code's map has to change this test too: the bank reviews and then
# approves or declines (notice 八); every loan of the year with a signed contract is archived by the
# county (notice 八: 次年3月底前完成信贷材料的归档), closed cases included.
DESIGN_MAP = {
    "draft": {"accepted", "rejected", "withdrawn"},
    "accepted": {"contract_signed", "returned", "rejected", "withdrawn"},
    "returned": {"accepted", "rejected", "withdrawn"},
    "contract_signed": {"receipt_entered", "withdrawn", "abandoned"},
    # issue 13: the county sends an entered receipt back to the university (回执退回, with a reason)
    "receipt_entered": {"receipt_confirmed", "contract_signed", "withdrawn"},
    "receipt_confirmed": {"bank_approved", "bank_declined", "withdrawn"},
    "bank_approved": {"disbursed", "archived"},
    "bank_declined": {"archived"},
    "disbursed": {"fee_certified", "archived"},
    "fee_certified": {"archived"},
    "withdrawn": {"archived"},
    "abandoned": {"archived"},
    "rejected": set(),
    "archived": set(),
}
ALLOWED = sorted((src, dst) for src, targets in DESIGN_MAP.items() for dst in targets)


def test_issue8_transition_map_is_the_design_map():
    assert {state: set(targets) for state, targets in rules.ALLOWED_TRANSITIONS.items()} == DESIGN_MAP
    assert set(DESIGN_MAP) == set(ApplicationStatus.values)


def in_state(world, state: str) -> Application:
    if state in MAIN_PATH:
        return make_application(world, to=state)
    # side states are reached after signing here (a contract to archive for the closed ones)
    application = make_application(world, to="contract_signed")
    Application.objects.filter(pk=application.pk).update(status=state)
    application.refresh_from_db()
    return application


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_by_its_role(world, source, target):
    application = in_state(world, source)
    actor = None if target == "abandoned" else getattr(world.users, ACTOR_FOR[target])
    reason = (
        "原因说明"
        if target in rules.REASON_REQUIRED or (source, target) in states.APPLICATION_REASON_REQUIRED_MOVES
        else ""
    )
    on = STEP_DAY.get(target)
    moved = services.application_transition(
        actor=actor, application=application, to=target, reason=reason, on=on
    )
    assert moved.status == target
    event = AuditEvent.objects.filter(object_pk=str(application.pk), action=f"application.{target}").latest(
        "pk"
    )
    assert event.old == {"status": source} and event.new == {"status": target}
    assert event.reason == reason
    assert event.actor_username == (actor.username if actor else "system")


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("accepted", "receipt_entered"),
        ("accepted", "disbursed"),
        ("contract_signed", "accepted"),
        ("receipt_entered", "bank_approved"),
        ("disbursed", "withdrawn"),
        ("archived", "accepted"),
        ("rejected", "accepted"),
        ("withdrawn", "accepted"),
    ],
)
def test_moves_outside_the_map_are_refused_and_change_nothing(world, source, target):
    application = in_state(world, source)
    actor = getattr(world.users, ACTOR_FOR.get(target, "county1_staff"))
    with pytest.raises(ConflictError):
        services.application_transition(actor=actor, application=application, to=target, reason="x原因")
    application.refresh_from_db()
    assert application.status == source


@pytest.mark.parametrize(
    ("source", "target", "role"),
    [
        ("accepted", "contract_signed", "university1_officer"),
        ("accepted", "contract_signed", "bank_officer"),
        ("accepted", "contract_signed", "county2_staff"),  # another county
        ("accepted", "contract_signed", "city1_manager"),
        ("contract_signed", "receipt_entered", "county1_staff"),
        ("contract_signed", "receipt_entered", "university4_officer"),  # not its student
        ("receipt_confirmed", "bank_approved", "county1_manager"),
        ("receipt_entered", "receipt_confirmed", "university1_officer"),
        ("contract_signed", "abandoned", "county1_staff"),  # only the calendar abandons
    ],
)
def test_roles_that_may_not_make_a_move_are_refused(world, source, target, role):
    application = in_state(world, source)
    with pytest.raises(PermissionDeniedError):
        services.application_transition(
            actor=getattr(world.users, role), application=application, to=target, reason="原因说明"
        )
    application.refresh_from_db()
    assert application.status == source


@pytest.mark.parametrize("target", ["returned", "rejected", "withdrawn"])
def test_returning_rejecting_withdrawing_need_a_reason(world, target):
    application = make_application(world)
    with pytest.raises(DomainError) as exc:
        services.application_transition(
            actor=world.users.county1_staff, application=application, to=target, reason="  "
        )
    assert "必须填写原因" in exc.value.message
    application.refresh_from_db()
    assert application.status == "accepted"


def test_signing_gives_contract_number_and_receipt_code(world):
    application = make_application(world, to="contract_signed")
    assert application.contract_number == "2026620123" + "00001"
    assert rules.receipt_code_is_valid(application.receipt_code)
    assert application.contract_signed_at is not None


# --- receipt entry (回执录入) ----------------------------------------------------------------------


def test_university_enters_the_receipt_by_code(world):
    application = make_application(world, to="contract_signed")
    code = rules.receipt_code_display(application.receipt_code).lower()
    entered = services.receipt_enter(actor=world.users.university1_officer, receipt_code=code, on=RECEIPT_DAY)
    assert entered.pk == application.pk and entered.status == "receipt_entered"


def test_mistyped_receipt_code_fails_on_the_check_character(world):
    application = make_application(world, to="contract_signed")
    code = application.receipt_code
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    with pytest.raises(DomainError) as exc:
        services.receipt_enter(actor=world.users.university1_officer, receipt_code=typo)
    assert exc.value.message == "回执码校验位错误，请核对"


def test_receipt_code_of_another_universitys_student_is_not_found(world):
    application = make_application(world, to="contract_signed")
    with pytest.raises(DomainError) as exc:
        services.receipt_enter(actor=world.users.university4_officer, receipt_code=application.receipt_code)
    assert exc.value.message == "未找到该回执码"
    from applications.rules.lifecycle import receipt_code_generate

    with pytest.raises(DomainError) as exc:
        services.receipt_enter(actor=world.users.university1_officer, receipt_code=receipt_code_generate())
    assert exc.value.message == "未找到该回执码"


def test_county_cannot_enter_receipts(world):
    application = make_application(world, to="contract_signed")
    with pytest.raises(PermissionDeniedError):
        services.receipt_enter(actor=world.users.county1_staff, receipt_code=application.receipt_code)


# --- maker–checker corrections ------------------------------------------------------------------


def test_correction_is_approved_by_another_county_manager_and_applied(world):
    application = make_application(world, to="contract_signed")
    correction = services.correction_request(
        actor=world.users.county1_staff,
        application=application,
        changes={"tuition_amount": 6000},
        reason="学费录入错误",
    )
    application.refresh_from_db()
    assert application.tuition_amount == 5000  # nothing applied before approval
    services.correction_decide(actor=world.users.county1_manager, correction=correction, approve=True)
    application.refresh_from_db()
    assert application.tuition_amount == 6000
    event = AuditEvent.objects.filter(action="application.correction_approve").get()
    assert event.old == {"tuition_amount": 5000} and event.new == {"tuition_amount": 6000}


@pytest.mark.parametrize("approve", [True, False])
def test_a_correction_decision_writes_exactly_one_audit_row(world, approve):
    """Audit (STYLE.md): one row per action. Deciding a correction is the correction's one transition
    (pending → approved/rejected); its row stands on the application, and nothing else is audited."""
    application = make_application(world, to="contract_signed")
    correction = services.correction_request(
        actor=world.users.county1_staff,
        application=application,
        changes={"tuition_amount": 6000},
        reason="学费录入错误",
    )
    before = AuditEvent.objects.count()
    decided = services.correction_decide(
        actor=world.users.county1_manager, correction=correction, approve=approve, note="核实"
    )
    assert decided.status == ("approved" if approve else "rejected")
    assert decided.decided_by == world.users.county1_manager and decided.decision_note == "核实"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.action == ("application.correction_approve" if approve else "application.correction_reject")
    assert (event.object_type, event.object_pk) == ("applications.application", str(application.pk))
    assert event.reason == "学费录入错误；核实"
    with pytest.raises(ConflictError):  # decided once: the correction's map has no second move
        services.correction_decide(
            actor=world.users.county1_manager, correction=correction, approve=not approve
        )
    assert AuditEvent.objects.count() == before + 1


def test_nobody_approves_their_own_correction(world):
    """Maker–checker: the same person approving their own request is refused with a clear message."""
    application = make_application(world, actor=world.users.county1_manager, to="contract_signed")
    correction = services.correction_request(
        actor=world.users.county1_manager,
        application=application,
        changes={"major": "金融学"},
        reason="专业有误",
    )
    with pytest.raises(PermissionDeniedError) as exc:
        services.correction_decide(actor=world.users.county1_manager, correction=correction, approve=True)
    assert "不能审批自己提出的更正申请" in exc.value.message
    with pytest.raises(PermissionDeniedError):  # a clerk is not a manager
        services.correction_decide(actor=world.users.county1_staff, correction=correction, approve=True)
    application.refresh_from_db()
    assert application.major == "计算机科学与技术"


def test_corrected_amounts_still_obey_the_limit(world):
    from django.core.exceptions import ValidationError

    application = make_application(world, to="contract_signed")
    correction = services.correction_request(
        actor=world.users.county1_staff,
        application=application,
        changes={"tuition_amount": 30000},
        reason="调整",
    )
    with pytest.raises(ValidationError):
        services.correction_decide(actor=world.users.county1_manager, correction=correction, approve=True)


# --- the calendar: abandonment (notice 八) --------------------------------------------------------


def test_abandonment_enforcement_is_idempotent(world):
    """Notice 八: receipts not entered by 10/10 — the student's application counts as abandoned (视为放弃)."""
    from deadlines.registry import enforcement_for

    signed = make_application(world, to="contract_signed")
    entered = make_application(world, to="receipt_entered")
    accepted = make_application(world)
    handler = enforcement_for("applications.abandon_unreceipted")
    assert handler is not None
    preview = handler(loan_year=2026, key_date=None, organisation=world.university1, as_of=None, dry_run=True)
    assert [obj.pk for obj, _ in preview] == [signed.pk]
    signed.refresh_from_db()
    assert signed.status == "contract_signed"  # dry run writes nothing
    first = handler(loan_year=2026, key_date=None, organisation=world.university1, as_of=None, dry_run=False)
    second = handler(loan_year=2026, key_date=None, organisation=world.university1, as_of=None, dry_run=False)
    assert len(first) == 1 and second == []
    signed.refresh_from_db()
    entered.refresh_from_db()
    accepted.refresh_from_db()
    assert (signed.status, entered.status, accepted.status) == ("abandoned", "receipt_entered", "accepted")
    event = AuditEvent.objects.get(action="application.abandoned")
    assert event.actor_username == "system" and "通知八" in event.reason


def test_abandonment_through_the_calendar_engine(world):
    import datetime

    from deadlines.services import calendar_run, loan_year_ensure

    loan_year_ensure(year=2026)
    signed = make_application(world, to="contract_signed")
    calendar_run(as_of=datetime.date(2026, 10, 11))
    calendar_run(as_of=datetime.date(2026, 10, 12))
    signed.refresh_from_db()
    assert signed.status == ApplicationStatus.ABANDONED
    assert AuditEvent.objects.filter(action="application.abandoned").count() == 1


def test_obligation_counters_for_universities_and_counties(world):
    from deadlines.registry import count_obligation

    make_application(world, to="contract_signed")
    make_application(world, to="receipt_entered")
    assert count_obligation("receipt_entry_due", organisation=world.university1, loan_year=2026).count == 1
    assert count_obligation("receipt_entry_due", organisation=world.university4, loan_year=2026).count == 0
    assert count_obligation("receipt_confirm_due", organisation=world.county1, loan_year=2026).count == 1


def test_the_clerk_who_entered_an_application_cannot_approve_its_correction(world):
    """Maker–checker (DESIGN.md: nobody approves what they entered themselves): a county manager who
    entered the application may not approve a correction to it, even one a colleague requested."""
    from loanportal.roles import Role
    from tests.factories import UserFactory

    application = make_application(world, actor=world.users.county1_manager, to="contract_signed")
    correction = services.correction_request(
        actor=world.users.county1_staff,
        application=application,
        changes={"major": "金融学"},
        reason="专业有误",
    )
    with pytest.raises(PermissionDeniedError) as exc:
        services.correction_decide(actor=world.users.county1_manager, correction=correction, approve=True)
    assert "自己录入" in exc.value.message
    application.refresh_from_db()
    assert application.major == "计算机科学与技术"
    other_manager = UserFactory(
        username="county1_manager2", role=Role.COUNTY_MANAGER, organisation=world.county1
    )
    services.correction_decide(actor=other_manager, correction=correction, approve=True)
    application.refresh_from_db()
    assert application.major == "金融学"
