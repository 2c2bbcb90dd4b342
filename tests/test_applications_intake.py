"""County intake of a first-loan application (首贷申请): amounts from the year's parameters, the
co-borrower age rule, pre-application (notice 三(六)) vs written commitment (notice 三(八)), one live
application per student and year in the province, the intake window (notice 八)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from applications.forms.lifecycle import ApplicationForm
from applications.models import Application, ApplicationStatus, LoanPolicy, PreApplication
from applications.services import lifecycle as services
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent, Student
from tests.factories import valid_id
from tests.factories_lifecycle import INTAKE_DAY, intake_kwargs, make_application, open_calendar

pytestmark = pytest.mark.django_db


def create(world, actor=None, **kwargs):
    kwargs.setdefault("check_window", False)
    return services.application_create(
        actor=actor or world.users.county1_staff, **intake_kwargs(world, **kwargs)
    )


def test_accepted_application_registers_student_and_co_borrower(world):
    application = create(world)
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.year == 2026 and application.county == world.county1
    student = application.student
    assert student.household_county == world.county1 and student.university == world.university1
    assert application.co_borrower.student == student
    assert application.accepted_at is not None
    actions = set(AuditEvent.objects.filter(object_pk=str(application.pk)).values_list("action", flat=True))
    assert {"application.create", "application.accepted"} <= actions


def test_registered_student_is_reused_and_updated(world):
    student = world.students.c1_u1
    application = create(world, student=student, study={"major": "临床医学"})
    assert application.student_id == student.pk
    student.refresh_from_db()
    assert student.major == "临床医学"
    assert Student.objects.filter(id_number=student.id_number).count() == 1


@pytest.mark.parametrize(
    ("year", "level", "total", "ok"),
    [
        (2026, "undergraduate", 20000, True),
        (2026, "undergraduate", 20001, False),
        (2026, "graduate", 25000, True),
        (2026, "graduate", 25001, False),
        (2026, "vocational", 20000, True),
    ],
)
def test_amount_within_the_years_limit_for_the_level(world, year, level, total, ok):
    """Annual limit per level read from the year's policy parameters (DESIGN.md table)."""
    kwargs = {"study": {"level": level}, "tuition_amount": total - 1000, "accommodation_amount": 1000}
    if ok:
        assert create(world, **kwargs).total_amount == total
    else:
        with pytest.raises(ValidationError) as exc:
            create(world, **kwargs)
        assert "年度上限" in exc.value.message_dict["tuition_amount"][0]


def test_limit_is_read_from_the_edited_parameters(world):
    """Every amount check reads the loan year's parameters, not a constant."""
    policy = services.loan_policy_for(2026)
    services.loan_policy_update(
        actor=world.users.province_manager, policy=policy, reason="测试调整上限", undergraduate_limit=10000
    )
    with pytest.raises(ValidationError):
        create(world, tuition_amount=9500, accommodation_amount=1000)
    assert create(world, tuition_amount=9000, accommodation_amount=1000).total_amount == 10000


def test_total_below_the_minimum_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        create(world, tuition_amount=600, accommodation_amount=300)
    assert "最低金额1000元" in exc.value.message_dict["tuition_amount"][0]


def test_non_parent_co_borrower_under_18_is_refused(world):
    """A co-borrower who is not father/mother must be an adult on the application date."""
    minor = valid_id(world.county1.code, "20090101")
    with pytest.raises(ValidationError) as exc:
        create(world, co_borrower={"id_number": minor, "relationship": "guardian"})
    assert "年满18周岁" in exc.value.message_dict["co_relationship"][0]
    # The same person as the father: no age rule.
    assert create(world, co_borrower={"id_number": minor, "relationship": "father"})


def test_pre_applied_student_skips_the_written_commitment(world):
    """Notice 三(六): a pre-applied student is not reviewed again on site; the list entry becomes 已受理."""
    id_number = valid_id(world.county1.code, "20070707")
    pre = PreApplication.objects.create(
        year=2026,
        county=world.county1,
        name="预申请生",
        id_number=id_number,
        basis="registered_poor",
        source="manual",
        created_by=world.users.county1_staff,
    )
    application = create(world, student={"id_number": id_number}, commitment_accepted=False)
    pre.refresh_from_db()
    assert application.pre_application == pre and not application.commitment_accepted
    assert pre.status == "applied" and pre.student == application.student
    from loanportal.models import AuditEvent

    event = AuditEvent.objects.get(action="pre_application.applied", object_pk=str(pre.pk))
    assert event.old == {"status": "listed"} and event.actor == world.users.county1_staff


def test_pre_application_of_another_county_does_not_count(world):
    id_number = valid_id(world.county1.code, "20070708")
    PreApplication.objects.create(
        year=2026,
        county=world.county2,
        name="外县",
        id_number=id_number,
        basis="minimum_living",
        source="manual",
        created_by=world.users.county2_staff,
    )
    with pytest.raises(ValidationError) as exc:
        create(world, student={"id_number": id_number}, commitment_accepted=False)
    assert "commitment_accepted" in exc.value.message_dict


def test_written_commitment_required_otherwise_and_recorded_with_who_and_when(world):
    """Notice 三(八): a student not pre-applied signs the written commitment; recorded with time and who."""
    with pytest.raises(ValidationError) as exc:
        create(world, commitment_accepted=False)
    assert "书面承诺" in exc.value.message_dict["commitment_accepted"][0]
    application = create(world, commitment_accepted=True)
    assert application.commitment_accepted
    assert application.commitment_recorded_by == world.users.county1_staff
    assert application.commitment_accepted_at is not None


def test_form_asks_for_no_civil_affairs_certificate():
    """Notice 三(八): the civil-affairs certificate of the family's situation is no longer asked for."""
    form = ApplicationForm()
    for name, field in form.fields.items():
        text = f"{name} {field.label}"
        assert "民政" not in text and "certificate" not in name and "证明" not in (field.label or "")
    assert "commitment_accepted" in form.fields


def test_second_county_is_stopped_with_the_county_name_only(world):
    """One live application per student per loan year in the whole province."""
    first = create(world)
    with pytest.raises(ConflictError) as exc:
        services.application_create(
            actor=world.users.county2_staff,
            **intake_kwargs(world, student={"id_number": first.student.id_number}, check_window=False),
        )
    assert exc.value.message == "该学生本年度已在榆中县学生资助管理中心申请贷款，不能重复申请"
    assert first.student.name not in exc.value.message


def test_a_closed_application_no_longer_blocks(world):
    first = create(world)
    services.application_transition(
        actor=world.users.county1_staff, application=first, to="withdrawn", reason="学生放弃"
    )
    second = create(world, student={"id_number": first.student.id_number})
    assert second.pk != first.pk


def test_database_constraint_alone_refuses_a_second_live_application(world):
    """The constraint one_live_application_per_student_year refuses a raw create (service bypassed)."""
    first = create(world)
    fields = {
        f.name: getattr(first, f.name)
        for f in Application._meta.concrete_fields
        if f.name not in ("id", "contract_number", "receipt_code", "created_at", "updated_at")
    }
    fields["county"] = world.county2
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(**fields)
    fields["status"] = "rejected"
    assert Application.objects.create(**fields).pk


def test_intake_only_inside_the_county_intake_window(world):
    """Notice 八: counties receive applications 7/15–9/20 (deadlines' intake_window)."""
    open_calendar(2026)
    assert create(world, check_window=True, on=INTAKE_DAY).status == "accepted"
    late = datetime.date(2026, 9, 25)
    with pytest.raises(DomainError) as exc:
        create(world, check_window=True, on=late)
    assert "现场受理期" in exc.value.message


def test_intake_window_extended_for_one_county(world):
    from deadlines.models import KeyDate
    from deadlines.services import key_date_extend

    open_calendar(2026)
    key_date = KeyDate.objects.get(loan_year__year=2026, code="intake_window")
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date,
        organisation=world.county1,
        end_date=datetime.date(2026, 9, 30),
        reason="受理量大，延期受理",
    )
    late = datetime.date(2026, 9, 25)
    assert create(world, check_window=True, on=late).status == "accepted"
    with pytest.raises(DomainError):
        create(world, actor=world.users.county2_staff, check_window=True, on=late)


def test_only_county_staff_receive_applications(world):
    with pytest.raises(PermissionDeniedError):
        create(world, actor=world.users.university1_officer)


def test_student_of_another_household_county_is_sent_home(world):
    with pytest.raises(ConflictError) as exc:
        services.application_create(
            actor=world.users.county2_staff,
            **intake_kwargs(world, student=world.students.c1_u4, check_window=False),
        )
    assert "榆中县" in exc.value.message


def test_loan_policy_ensure_creates_defaults_once(world):
    assert not LoanPolicy.objects.filter(year=2023).exists()
    read = services.loan_policy_for(2023)  # a read: the defaults, nothing stored
    assert read.pk is None and not LoanPolicy.objects.filter(year=2023).exists()
    policy = services.loan_policy_ensure(year=2023)
    assert (policy.undergraduate_limit, policy.graduate_limit, policy.rate_spread_bp) == (16000, 20000, -60)
    assert services.loan_policy_ensure(year=2023).pk == policy.pk == services.loan_policy_for(2023).pk


def test_contract_numbers_and_receipt_codes_are_unique(world):
    applications = [make_application(world, to="contract_signed") for _ in range(5)]
    numbers = [a.contract_number for a in applications]
    codes = [a.receipt_code for a in applications]
    assert len(set(numbers)) == 5 and len(set(codes)) == 5
    assert numbers == sorted(numbers) and numbers[0] == "202662012300001"[:10] + "00001"
    # not guessable from the contract number
    assert all(a.contract_number[-5:] not in a.receipt_code for a in applications)
