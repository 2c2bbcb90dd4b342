"""Issue 9 protection check 7 — the state machines test_concurrency_transitions.py and the app tests did not
race yet: relief cases (county and province decisions), relief county summaries, relief batches, 附件6 bank
amounts, disbursement confirmation, public-notice objections (loan summaries and relief cases) (the
university's fee account is no state machine: confirming it again is allowed and audited old → new). Two people act on one object at the same moment → exactly one change and one
audit row; the other gets ConflictError (409). Real threads on PostgreSQL, each with its own connection,
released together by a barrier (tests/concurrency.py)."""

import datetime

import pytest
from django.utils import timezone

from loanportal.errors import ConflictError
from loanportal.models import AuditEvent
from loanportal.roles import Role
from repayment_relief import bank_amounts, disbursements, states
from repayment_relief import case_services as services
from repayment_relief.models import (
    BankAmount,
    DisbursementBatch,
    ReliefBatch,
    ReliefCase,
    ReliefCountySummary,
)

from .concurrency import race
from .factories import UserFactory, is_postgresql
from .factories_relief import case_in_county_review, case_submitted, notice_of_last_fortnight
from .factories_relief_money import batch_received, fund, handed_over_case


@pytest.fixture(autouse=True)
def pg_only(settings, tmp_path):
    if not is_postgresql():
        pytest.skip("the races need PostgreSQL row locks")
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")


def one_won(*jobs):
    """Race the jobs; exactly one returns, the other raises ConflictError (HTTP 409)."""
    results = race(*jobs)
    won = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].status_code == 409
    return won[0]


def second(world, role, username):
    organisation = {
        Role.COUNTY_MANAGER: world.county1,
        Role.COUNTY_STAFF: world.county1,
        Role.PROVINCE_OFFICER: world.province,
        Role.PROVINCE_MANAGER: world.province,
        Role.BANK_OFFICER: world.users.bank_officer.organisation,
    }[role]
    return UserFactory(username=username, role=role, organisation=organisation)


def audit_rows(actions, obj=None) -> int:
    rows = AuditEvent.objects.filter(action__in=actions)
    return rows.filter(object_pk=str(obj.pk)).count() if obj is not None else rows.count()


def test_issue9_check7_relief_case_county_pass_and_reject_at_once(live_world):
    """第二十条 (county manager's review): two county managers decide one case at once, pass and reject."""
    case = case_in_county_review(live_world)
    other = second(live_world, Role.COUNTY_MANAGER, "county1_manager2")
    one_won(
        lambda: services.relief_case_county_decide(
            actor=live_world.users.county1_manager, case=case, decision="pass"
        ),
        lambda: services.relief_case_county_decide(
            actor=other, case=case, decision="reject", reason="收入高于贫困线"
        ),
    )
    status = ReliefCase.objects.get(pk=case.pk).status
    assert status in (states.COUNTY_PASSED, states.COUNTY_REJECTED)
    assert audit_rows(["relief_case.county_passed", "relief_case.county_rejected"], case) == 1


def test_issue9_check7_relief_case_province_pass_and_return_at_once(live_world):
    """第二十一条 (province review): two province officers decide one submitted case at once."""
    case = case_submitted(live_world)
    other = second(live_world, Role.PROVINCE_OFFICER, "province_officer2")
    one_won(
        lambda: services.relief_case_province_decide(
            actor=live_world.users.province_officer, case=case, decision="pass"
        ),
        lambda: services.relief_case_province_decide(
            actor=other, case=case, decision="return", reason="缺少收入证明"
        ),
    )
    status = ReliefCase.objects.get(pk=case.pk).status
    assert status in (states.PROVINCE_PASSED, states.RETURNED)
    assert audit_rows([f"relief_case.{states.PROVINCE_PASSED}", f"relief_case.{states.RETURNED}"], case) == 1


def test_issue9_check7_relief_county_summary_submitted_twice_at_once(live_world):
    """第二十条 (the county's summary to the province): two county managers submit it at once."""
    case = case_in_county_review(live_world)
    manager = live_world.users.county1_manager
    services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    summary = services.county_summary_create(actor=manager, county=case.county)
    other = second(live_world, Role.COUNTY_MANAGER, "county1_manager2")
    one_won(
        lambda: services.county_summary_submit(actor=manager, summary=summary),
        lambda: services.county_summary_submit(actor=other, summary=summary),
    )
    assert ReliefCountySummary.objects.get(pk=summary.pk).status == states.SUMMARY_SUBMITTED
    assert ReliefCase.objects.get(pk=case.pk).status == states.COUNTY_SUBMITTED
    assert (
        AuditEvent.objects.filter(
            action=f"relief_case.{states.COUNTY_SUBMITTED}", object_pk=str(case.pk)
        ).count()
        == 1
    )


def test_issue9_check7_relief_batch_handed_over_twice_at_once(live_world):
    """第二十一条（一） (the batch handed to the bank, which sets the cutoff): two province officers at once."""
    case = case_submitted(live_world)
    province = live_world.users.province_officer
    services.relief_case_province_decide(actor=province, case=case, decision="pass")
    batch = services.relief_batch_create(actor=province)
    other = second(live_world, Role.PROVINCE_OFFICER, "province_officer2")
    today = timezone.localdate()
    one_won(
        lambda: services.relief_batch_hand_over(actor=province, batch=batch, received_on=today),
        lambda: services.relief_batch_hand_over(
            actor=other, batch=batch, received_on=today - datetime.timedelta(days=1)
        ),
    )
    handed = ReliefBatch.objects.get(pk=batch.pk)
    assert handed.status == states.BATCH_HANDED_OVER
    assert ReliefCase.objects.get(pk=case.pk).status == states.HANDED_OVER
    assert (
        AuditEvent.objects.filter(action=f"relief_case.{states.HANDED_OVER}", object_pk=str(case.pk)).count()
        == 1
    )


def test_issue9_check7_bank_amount_accepted_and_returned_at_once(live_world):
    """附件6 (the bank's amounts checked by the province): one officer accepts, another returns it at once."""
    batch = batch_received(live_world, received_on=timezone.localdate() - datetime.timedelta(days=30))
    case = handed_over_case(live_world, category="1", batch=batch)
    line = bank_amounts.bank_amount_enter(
        actor=live_world.users.bank_officer,
        case=case,
        contract=case.contracts.get(),
        values={"principal": "24000.00", "interest": "168.00"},
    )
    other = second(live_world, Role.PROVINCE_OFFICER, "province_officer2")
    one_won(
        lambda: bank_amounts.bank_amount_accept(actor=live_world.users.province_officer, line=line),
        lambda: bank_amounts.bank_amount_return(actor=other, line=line, question="利息请核对计息天数"),
    )
    assert BankAmount.objects.get(pk=line.pk).status in ("accepted", "returned")
    assert audit_rows(["bank_amount.accepted", "bank_amount.returned"], line) == 1


def test_issue9_check7_disbursement_confirmed_twice_at_once(live_world):
    """第二十二条 (the bank confirms the credit; the cases become relieved): two bank officers at once."""
    from .test_issue12_relief_money import accept_bank_amounts

    batch = batch_received(live_world, received_on=timezone.localdate() - datetime.timedelta(days=30))
    case = handed_over_case(live_world, category="1", batch=batch)
    accept_bank_amounts(live_world, case, total_each="1000.00")
    fund(live_world, reserve="5000")
    prepared = disbursements.disbursement_prepare(actor=live_world.users.province_officer, year=2026)
    approved = disbursements.disbursement_approve(
        actor=live_world.users.province_manager, batch=prepared, document="划付1号"
    )
    other = second(live_world, Role.BANK_OFFICER, "bank_officer2")
    one_won(
        lambda: disbursements.disbursement_confirm(actor=live_world.users.bank_officer, batch=approved),
        lambda: disbursements.disbursement_confirm(actor=other, batch=approved),
    )
    assert DisbursementBatch.objects.get(pk=approved.pk).status == "confirmed"
    assert ReliefCase.objects.get(pk=case.pk).status == states.RELIEVED
    assert audit_rows(["disbursement.confirmed"]) == 1
    assert audit_rows([f"relief_case.{states.RELIEVED}"], case) == 1


def test_issue9_check7_relief_objection_resolved_twice_at_once(live_world):
    """第二十条（三） (an objection to the relief notice): the clerk and the manager resolve it at once."""
    staff, manager = live_world.users.county1_staff, live_world.users.county1_manager
    case = case_in_county_review(live_world)
    notice = notice_of_last_fortnight(live_world, case)
    objection = services.relief_objection_record(
        actor=staff,
        notice=notice,
        received_on=notice.starts_on + datetime.timedelta(days=2),
        content="邻居称其家有车",
    )
    one_won(
        lambda: services.relief_objection_resolve(
            actor=staff, objection=objection, resolution="核实为营运车辆"
        ),
        lambda: services.relief_objection_resolve(
            actor=manager, objection=objection, resolution="车辆已出售"
        ),
    )
    objection.refresh_from_db()
    assert objection.resolution in ("核实为营运车辆", "车辆已出售")


def test_issue9_check7_public_notice_objection_handled_twice_at_once(live_world):
    """Notice 八 (the county's public notice of the loan list): an objection handled by two clerks at once."""
    from applications.models import NoticeObjection
    from applications.services import summaries as summary_services
    from applications.services.notices import notice_objection_handle, notice_objection_record

    from .factories_lifecycle import make_application

    make_application(live_world, to="contract_signed")
    today = timezone.localdate()
    notice = summary_services.public_notice_publish(
        actor=None,
        county=live_world.county1,
        year=2026,
        place="公告栏",
        starts_on=today - datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=7),
    )
    objection = notice_objection_record(
        actor=live_world.users.county1_staff, notice=notice, content="名单中一名学生家庭条件较好"
    )
    one_won(
        lambda: notice_objection_handle(
            actor=live_world.users.county1_staff, objection=objection, handling="已入户核实，情况属实"
        ),
        lambda: notice_objection_handle(
            actor=live_world.users.county1_manager, objection=objection, handling="已电话核实"
        ),
    )
    assert NoticeObjection.objects.get(pk=objection.pk).handled_at is not None
    assert audit_rows(["public_notice.objection_handled"]) == 1


def test_issue9_check7_public_notice_published_twice_at_once(live_world):
    """Notice 八 (公示 of the county's loan list, one per county and year): the clerk and the manager publish
    at the same moment → one notice with one list, the other 409 (not a database error)."""
    from applications.models import PublicNotice, PublicNoticeEntry
    from applications.services.notices import public_notice_publish

    from .factories_lifecycle import make_application

    make_application(live_world, to="contract_signed")
    today = timezone.localdate()

    def publish(user):
        return lambda: public_notice_publish(
            actor=user,
            county=live_world.county1,
            year=2026,
            place="县资助中心公告栏",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=9),
        )

    one_won(publish(live_world.users.county1_staff), publish(live_world.users.county1_manager))
    assert PublicNotice.objects.filter(county=live_world.county1, year=2026).count() == 1
    assert PublicNoticeEntry.objects.count() == 1
    assert audit_rows(["public_notice.publish"]) == 1


def test_issue9_check7_bank_status_disbursed_and_declined_at_once(live_world):
    """Notice 八 (银行审批放款登记): two bank officers record opposite results on one contract at once → one
    result, the other 409."""
    from applications.models import Application
    from applications.services import yearend

    from .factories_yearend import BANK_DAY, applications_in

    (application,) = applications_in(live_world, "receipt_confirmed", 1)
    other = second(live_world, Role.BANK_OFFICER, "bank_officer2")
    one_won(
        lambda: yearend.bank_status_record(
            actor=live_world.users.bank_officer,
            application=application,
            result="disbursed",
            to_university=6200,
            to_student=0,
            disbursed_on=BANK_DAY,
            on=BANK_DAY,
        ),
        lambda: yearend.bank_status_record(
            actor=other, application=application, result="declined", reason="征信不良", on=BANK_DAY
        ),
    )
    status = Application.objects.get(pk=application.pk).status
    assert status in ("disbursed", "bank_declined")
    moves = AuditEvent.objects.filter(
        object_pk=str(application.pk), action__in=["application.bank_declined", "application.disbursed"]
    )
    assert moves.count() == 1


def test_issue9_check7_one_application_archived_into_two_boxes_at_once(live_world):
    """Notice 八 (the year's credit materials archived): two clerks put the same application into two boxes
    at the same moment → it lands in one box, archived once; the other 409."""
    from applications.models import Application
    from applications.services import yearend

    from .factories_yearend import ARCHIVE_DAY, applications_in

    (application,) = applications_in(live_world, "disbursed", 1)
    boxes = [
        yearend.archive_box_create(
            actor=live_world.users.county1_staff,
            year=2026,
            number=number,
            archived_on=datetime.date(2027, 3, 1),
            contents="借款合同、受理证明",
            location="档案室A柜",
        )
        for number in ("2026-001", "2026-002")
    ]
    clerks = [live_world.users.county1_staff, live_world.users.county1_manager]
    one_won(
        *(
            lambda u=u, b=b: yearend.archive_box_assign(
                actor=u, box=b, applications=[application], on=ARCHIVE_DAY
            )
            for u, b in zip(clerks, boxes, strict=True)
        )
    )
    archived = Application.objects.get(pk=application.pk)
    assert archived.status == "archived" and archived.archive_box_id in {b.pk for b in boxes}
    assert (
        AuditEvent.objects.filter(object_pk=str(application.pk), action="application.archived").count() == 1
    )


def test_issue9_check7_credit_handling_confirmed_twice_at_once(live_world):
    """第二十四条 (the bank confirms it cleared or annotated the credit record): two bank officers at once →
    one confirmation by one of them, the other 409."""
    from repayment_relief.case_followup import relief_credit_confirm

    batch = batch_received(live_world, received_on=timezone.localdate() - datetime.timedelta(days=30))
    case = handed_over_case(live_world, category="1", batch=batch)
    officers = [live_world.users.bank_officer, second(live_world, Role.BANK_OFFICER, "bank_officer2")]
    one_won(
        *(lambda u=u: relief_credit_confirm(actor=u, case=case, note=f"已处理{u.username}") for u in officers)
    )
    confirmed = ReliefCase.objects.get(pk=case.pk)
    assert confirmed.credit_confirmed_by_id in {u.pk for u in officers}
    assert confirmed.credit_note == f"已处理{confirmed.credit_confirmed_by.username}"
    assert audit_rows(["relief_case.credit_confirm"], case) == 1
