"""Issue 11: relief cases — intake (第十二–十九条), county initial review (第二十条), county summary and
provincial re-review (第二十条（四）, 第二十一条（一）), hand-over batch, follow-up (第二十三–二十七条)."""

import datetime

import pytest
from django.utils import timezone

from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent
from repayment_relief import case_followup as followup
from repayment_relief import case_selectors as selectors
from repayment_relief import case_services as services
from repayment_relief import categories, rules, states
from repayment_relief.models import ReliefCase

from .factories_relief import (
    JPEG,
    PNG,
    case_in_county_review,
    case_submitted,
    open_case,
    pdf,
    upload_all,
    verify,
)


@pytest.fixture(autouse=True)
def _relief_root(settings, tmp_path):
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")
    settings.RELIEF_DOCUMENT_MAX_BYTES = 64 * 1024


# --- 第十二–十六条: categories and their checklists ---------------------------------------------------


@pytest.mark.parametrize(
    "category, detail, expected",
    [
        ("1", "", {"police_certificate", "household_deregistration"}),
        ("2", "labour", {"labour_appraisal"}),
        ("2", "civil", {"court_judgment"}),
        ("3", "", {"disaster_certificate"}),
        ("4", "", {"medical_vouchers", "medical_records"}),
        ("5a", "", {"poverty_handbook"}),
        ("5b", "", {"low_income_certificate"}),
    ],
)
def test_issue11_articles_12_to_16_category_checklists(category, detail, expected):
    """第十二–十六条: each category's documents, plus the contract and the applicant's ID always."""
    required = set(
        categories.required_documents(category=category, category_detail=detail, applicant_kind="borrower")
    )
    assert required == expected | {"contract", "applicant_id"}


def test_issue11_article_16_closing_agent_needs_id_and_authorisation():
    """第十六条 (closing) / 第十九条（二）: an agent adds their ID and the authorisation."""
    required = categories.required_documents(category="1", applicant_kind="agent")
    assert {"agent_id", "authorisation"} <= set(required)


def test_issue11_article_14_category_3_a_year_late_refused(world):
    """第十四条: a disaster case must be applied for in the year of the disaster."""
    last_year = timezone.localdate().replace(month=1, day=1) - datetime.timedelta(days=1)
    with pytest.raises(DomainError) as exc:
        open_case(world, category="3", event_date=last_year)
    assert "受灾当年" in exc.value.message
    assert not ReliefCase.objects.exists()


def test_issue11_article_16_2_category_5b_before_grace_period_end_refused(world):
    """第十六条（二）: 5b only after the principal grace period."""
    with pytest.raises(DomainError) as exc:
        open_case(
            world, category="5b", grace_period_ends_on=timezone.localdate() + datetime.timedelta(days=10)
        )
    assert "宽限期" in exc.value.message


# --- 第十九条: application at the county -------------------------------------------------------------


def test_issue11_article_19_county_opens_case_for_its_borrower_only(world):
    """第十九条: county staff open a case for a borrower of their county; another county cannot."""
    case = open_case(world)
    assert case.status == states.ENTERED and case.county == world.county1
    assert case.case_no.startswith(f"JZ{timezone.localdate().year}{world.county1.code}")
    with pytest.raises(PermissionDeniedError):
        open_case(world, actor=world.users.county2_staff)
    with pytest.raises(PermissionDeniedError):
        open_case(world, actor=world.users.university1_officer)


def test_issue11_article_19_3_county_found_case_marked(world):
    """第十九条（三）: a case the county found itself is marked as such."""
    case = open_case(world, county_found=True)
    assert case.county_found is True
    assert AuditEvent.objects.filter(action="relief_case.create", new__county_found=True).exists()


def test_issue11_article_19_2_agent_needs_relationship(world):
    """第十九条（二）: an applicant other than the borrower states the relationship."""
    with pytest.raises(DomainError):
        open_case(
            world, applicant_kind="agent", applicant_name="李代理", applicant_id_number="110101199003077777"
        )


# --- uploads -----------------------------------------------------------------------------------------


def test_issue11_upload_checked_by_content_not_by_name(world):
    """Uploads: PDF/JPEG/PNG by content; a renamed text file is refused; stored outside the web root."""
    case = open_case(world)
    staff = world.users.county1_staff
    for data in (JPEG, PNG):
        services.relief_document_upload(actor=staff, case=case, kind="contract", upload=pdf("合同.bin", data))
    with pytest.raises(DomainError) as exc:
        services.relief_document_upload(
            actor=staff, case=case, kind="contract", upload=pdf("合同.pdf", b"<html>not a pdf</html>")
        )
    assert "按内容判断" in exc.value.message
    with pytest.raises(DomainError, match="空文件"):
        services.relief_document_upload(actor=staff, case=case, kind="contract", upload=pdf("a.pdf", b""))
    with pytest.raises(DomainError, match="大小限制"):
        services.relief_document_upload(
            actor=staff, case=case, kind="contract", upload=pdf("big.pdf", b"%PDF-" + b"0" * 70000)
        )
    from django.conf import settings

    document = case.documents.first()
    path = services.relief_document_open(actor=staff, document=document)
    assert str(path).startswith(str(settings.RELIEF_DOCUMENT_ROOT))
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    assert case.documents.count() == 2


# --- 第二十条: county initial review -----------------------------------------------------------------


def test_issue11_article_20_1_missing_documents_wait_in_materials_incomplete(world):
    """第二十条（一）: missing documents are listed; the case waits in materials_incomplete."""
    staff = world.users.county1_staff
    case = open_case(world)
    services.relief_document_upload(actor=staff, case=case, kind="contract", upload=pdf())
    case = services.relief_case_check_materials(actor=staff, case=case)
    assert case.status == states.MATERIALS_INCOMPLETE
    assert set(case.missing_documents) == {"applicant_id", "medical_vouchers", "medical_records"}
    upload_all(case, staff)
    case = services.relief_case_check_materials(actor=staff, case=case)
    assert case.status == states.COUNTY_REVIEW and case.missing_documents == []


def test_issue11_article_20_case_without_documents_cannot_pass(world):
    """第二十条: a case without its documents cannot pass (not even forced into review)."""
    case = open_case(world)
    with pytest.raises(ConflictError):
        services.relief_case_county_decide(actor=world.users.county1_manager, case=case, decision="pass")
    case.refresh_from_db()
    assert case.status == states.ENTERED


def test_issue11_article_20_1_bank_payment_notice_recorded_before_pass(world):
    """第二十条（一）: the record says the applicant was told the money goes to the bank."""
    staff, manager = world.users.county1_staff, world.users.county1_manager
    case = open_case(world)
    upload_all(case, staff)
    case = services.relief_case_check_materials(actor=staff, case=case)
    verify(case, staff, told=False)
    with pytest.raises(DomainError, match="不发放给本人"):
        services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    verify(case, staff, told=True)
    case = services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    assert case.status == states.COUNTY_PASSED and case.bank_payment_told


def test_issue11_article_20_clerk_cannot_pass_own_case(world):
    """第二十条: the county manager — not the clerk who entered the case — passes it."""
    manager = world.users.county1_manager
    case = case_in_county_review(world, actor=manager)
    with pytest.raises(PermissionDeniedError, match="不能审核自己"):
        services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    with pytest.raises(PermissionDeniedError):
        services.relief_case_county_decide(actor=world.users.county1_staff, case=case, decision="pass")
    assert selectors.relief_case_actions_for(manager, case) and not any(
        a.code == "county_pass" for a in selectors.relief_case_actions_for(manager, case)
    )


def test_issue11_article_20_county_reject_needs_reason(world):
    case = case_in_county_review(world)
    with pytest.raises(DomainError, match="原因"):
        services.relief_case_county_decide(actor=world.users.county1_manager, case=case, decision="reject")
    case = services.relief_case_county_decide(
        actor=world.users.county1_manager, case=case, decision="reject", reason="收入高于贫困线"
    )
    assert case.status == states.COUNTY_REJECTED and case.county_reason == "收入高于贫困线"


def test_issue11_article_20_3_public_notice_five_working_days_and_objections(world):
    """第二十条（三）: 公示 of at least 5 working days; objections resolved before the case can pass."""
    staff, manager = world.users.county1_staff, world.users.county1_manager
    case = case_in_county_review(world)
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 14)
    with pytest.raises(DomainError, match="5 个工作日"):
        services.relief_notice_create(
            actor=staff,
            case=case,
            starts_on=monday,
            ends_on=monday + datetime.timedelta(days=3),
            place="村委会公示栏",
            content="姓名、救助类别",
        )
    notice = services.relief_notice_create(
        actor=staff,
        case=case,
        starts_on=monday,
        ends_on=monday + datetime.timedelta(days=6),
        place="村委会公示栏",
        content="姓名、救助类别",
    )
    with pytest.raises(DomainError, match="个人信息"):
        services.relief_notice_create(
            actor=staff,
            case=case,
            starts_on=monday,
            ends_on=monday + datetime.timedelta(days=6),
            place="村委会公示栏",
            content=f"{case.borrower.name} {case.borrower.id_number}",
        )
    objection = services.relief_objection_record(
        actor=staff, notice=notice, received_on=monday + datetime.timedelta(days=2), content="邻居称其家有车"
    )
    with pytest.raises(DomainError, match="异议"):
        services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    services.relief_objection_resolve(actor=staff, objection=objection, resolution="核实车辆为营运贷款购买")
    case = services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    assert case.status == states.COUNTY_PASSED


def test_issue11_article_20_3_working_days_skip_weekends():
    monday = datetime.date(2026, 11, 2)
    assert categories.working_days(monday, monday + datetime.timedelta(days=4)) == 5
    assert (
        categories.working_days(monday + datetime.timedelta(days=3), monday + datetime.timedelta(days=9)) == 5
    )


# --- 第二十条（四）, 第二十一条（一）: summary and provincial re-review ---------------------------------------


def test_issue11_article_21_1_province_cannot_decide_before_county(world):
    """第二十一条（一）: a province decision is only possible after the county's (no higher level first)."""
    case = case_in_county_review(world)
    for decision in ("pass", "reject", "return"):
        with pytest.raises(ConflictError):
            services.relief_case_province_decide(
                actor=world.users.province_officer, case=case, decision=decision, reason="x"
            )
    services.relief_case_county_decide(actor=world.users.county1_manager, case=case, decision="pass")
    case.refresh_from_db()
    with pytest.raises(ConflictError):  # passed but not yet submitted in a summary
        services.relief_case_province_decide(actor=world.users.province_officer, case=case, decision="pass")


def test_issue11_article_20_4_county_summary_submitted(world):
    """第二十条（四）: the county bundles passed cases into 附件4 and the manager submits it."""
    case = case_submitted(world)
    assert case.status == states.COUNTY_SUBMITTED
    assert case.county_summary.status == states.SUMMARY_SUBMITTED


def test_issue11_article_21_1_returned_case_back_in_county_queue_with_reason(world):
    """第二十一条（一）: a returned case goes back to the county's queue with the reason."""
    case = case_submitted(world)
    case = services.relief_case_province_decide(
        actor=world.users.province_officer, case=case, decision="return", reason="病历复印件不清晰"
    )
    assert case.status == states.RETURNED and case.province_reason == "病历复印件不清晰"
    queue = selectors.relief_case_queue(user=world.users.county1_staff, status="county_queue")
    assert case in queue
    assert any(a.code == "resume" for a in selectors.relief_case_actions_for(world.users.county1_staff, case))
    case = services.relief_case_resume(actor=world.users.county1_staff, case=case)
    assert case.status == states.COUNTY_REVIEW and case.county_summary is None


def test_issue11_article_21_1_province_pass_and_batch_hand_over_sets_cutoff(world):
    """第二十一条（一）（二）: the province passes, compiles 附件5 and hands it over; the date received by
    the bank is the amount cutoff's input."""
    case = case_submitted(world)
    province = world.users.province_officer
    with pytest.raises(PermissionDeniedError):
        services.relief_case_province_decide(actor=world.users.county1_manager, case=case, decision="pass")
    services.relief_case_province_decide(actor=province, case=case, decision="pass")
    batch = services.relief_batch_create(actor=province)
    received = timezone.localdate()
    batch = services.relief_batch_hand_over(actor=province, batch=batch, received_on=received)
    case.refresh_from_db()
    assert case.status == states.HANDED_OVER and case.batch == batch
    assert batch.cutoff_date == rules.amount_cutoff_date(received)
    with pytest.raises(ConflictError):
        services.relief_batch_hand_over(actor=province, batch=batch, received_on=received)


# --- 第十七、十八条: priority and scope ---------------------------------------------------------------


def test_issue11_article_17_priority_order_of_province_queue(world):
    """第十七条: 1–2 first, then 3–4, then 5 in the province's queue."""
    five = case_submitted(world, category="5a")
    four = case_submitted(world, student=world.students.c1_u4, category="4")
    queue = list(selectors.relief_case_queue(user=world.users.province_officer, status="province_queue"))
    assert queue == [four, five]
    assert categories.priority_label("1") == "原则上必须救助"


def test_issue11_article_18_scope_shown():
    """第十八条: 1–2 everything at once, 3–5 this year's due amount only."""
    assert "全部" in categories.scope_label("2")
    assert "当年" in categories.scope_label("5b")


# --- 第二十三–二十七条 --------------------------------------------------------------------------------


def test_issue11_article_24_credit_follow_up_by_bank(world):
    """第二十四条: the bank confirms the credit record handled; 5 annotated, 1–4 cleared."""
    case = case_submitted(world, category="5a")
    province = world.users.province_officer
    services.relief_case_province_decide(actor=province, case=case, decision="pass")
    batch = services.relief_batch_create(actor=province)
    services.relief_batch_hand_over(actor=province, batch=batch, received_on=timezone.localdate())
    case.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        followup.relief_credit_confirm(actor=province, case=case)
    pending = selectors.relief_case_queue(user=world.users.bank_officer, status="credit_pending")
    assert list(pending) == [case]
    case = followup.relief_credit_confirm(actor=world.users.bank_officer, case=case)
    assert not selectors.relief_case_queue(user=world.users.bank_officer, status="credit_pending").exists()
    assert "标注" in case.credit_note and case.credit_confirmed_at


def test_issue11_article_23_fraud_blacklist_visible_at_intake(world):
    """第二十三条: a forged case is marked; the applicant is on the blacklist other counties see."""
    case = open_case(world)
    followup.relief_fraud_record(
        actor=world.users.county1_staff,
        case=case,
        finding="伪造医保报销凭证",
        large_amount=True,
        court_referral_on=timezone.localdate(),
    )
    case.refresh_from_db()
    assert case.fraud_found and case.large_amount
    hits = selectors.blacklist_matches(user=world.users.county3_staff, id_numbers=[case.applicant_id_number])
    assert [h.case for h in hits] == [case]
    assert not selectors.blacklist_matches(
        user=world.users.university1_officer, id_numbers=[case.applicant_id_number]
    )


def test_issue11_article_25_archives_own_boxes_holder_and_missing(world):
    """第二十五条: own boxes and numbering; which attachment is archived where; the missing list."""
    case = case_submitted(world)
    province = world.users.province_officer
    box = followup.relief_archive_box_create(actor=province, year=2026)
    assert box.number == 1 and followup.relief_archive_box_create(actor=province, year=2026).number == 2
    with pytest.raises(DomainError, match="国开行"):
        followup.relief_archive_item_add(actor=province, box=box, case=case, attachment="att5")
    with pytest.raises(DomainError, match="申请表"):
        followup.relief_archive_item_add(actor=province, box=box, case=case, attachment="att2")
    followup.relief_archive_item_add(actor=province, box=box, case=case, attachment="att1")
    missing = selectors.archive_box_missing(box)
    assert missing == [(case, [categories.ATTACHMENTS["att4"], categories.ATTACHMENTS["att6"]])]
    county_box = followup.relief_archive_box_create(actor=world.users.county1_staff, year=2026)
    with pytest.raises(DomainError, match="省资助中心"):
        followup.relief_archive_item_add(
            actor=world.users.county1_staff, box=county_box, case=case, attachment="att4"
        )


def test_issue11_article_27_information_officer_and_document_views_audited(world):
    """第二十七条: a county names its information officer; every document view is audited."""
    officer = followup.relief_information_officer_name(
        actor=world.users.county1_manager, county=world.county1, user=world.users.county1_staff
    )
    assert selectors.information_officer_of(world.county1) == officer
    with pytest.raises(DomainError):
        followup.relief_information_officer_name(
            actor=world.users.county1_manager, county=world.county1, user=world.users.county2_staff
        )
    case = open_case(world)
    document = services.relief_document_upload(
        actor=world.users.county1_staff, case=case, kind="contract", upload=pdf()
    )
    services.relief_document_open(actor=world.users.province_officer, document=document)
    assert (
        AuditEvent.objects.filter(action="relief_document.view", actor=world.users.province_officer).count()
        == 1
    )


def test_issue11_scope_out_of_scope_cases_invisible(world):
    case = open_case(world)
    assert case in selectors.relief_cases_visible_to(user=world.users.city1_manager)
    assert case not in selectors.relief_cases_visible_to(user=world.users.county2_staff)
    assert case not in selectors.relief_cases_visible_to(user=world.users.bank_officer)
    assert case not in selectors.relief_cases_visible_to(user=world.users.university1_officer)
    assert not selectors.relief_documents_visible_to(user=world.users.county3_staff).exists()


def test_issue11_article_21_1_second_decision_on_the_same_case_is_409(world):
    """The one transition service: a decision already taken (e.g. by a concurrent officer) is a 409."""
    case = case_submitted(world)
    services.relief_case_province_decide(actor=world.users.province_officer, case=case, decision="pass")
    with pytest.raises(ConflictError):
        services.relief_case_province_decide(
            actor=world.users.province_manager, case=case, decision="reject", reason="重复"
        )
    case.refresh_from_db()
    assert case.status == states.PROVINCE_PASSED
    assert AuditEvent.objects.filter(action="relief_case.province_passed").count() == 1
