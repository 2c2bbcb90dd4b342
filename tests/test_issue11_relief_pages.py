"""Issue 11 pages: intake, uploads (bad input), audited in-scope downloads, prints, review buttons,
summaries, batches, archives, blacklist, information officer; out of scope → 404; hostile input → 4xx."""

import pytest
from django.urls import reverse

from loanportal.models import AuditEvent
from repayment_relief import case_services as services
from repayment_relief import states
from repayment_relief.models import ReliefCase, ReliefDocument

from .factories_relief import PDF, case_in_county_review, case_submitted, contract_for, open_case, pdf


@pytest.fixture(autouse=True)
def _relief_root(settings, tmp_path):
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")
    settings.RELIEF_DOCUMENT_MAX_BYTES = 64 * 1024


def test_issue11_article_19_intake_page_opens_case(world, client_for):
    """第十九条: the county clerk opens a case from the page; the checklist follows the category."""
    student = world.students.c1_u1
    contract = contract_for(student)
    client = client_for(world.users.county1_staff)
    assert client.get(reverse("relief-case-new")).status_code == 200
    response = client.post(
        reverse("relief-case-new"),
        {
            "borrower": student.pk,
            "contracts": [contract.pk],
            "category": "4",
            "facts": "母亲患尿毒症",
            "applicant_kind": "borrower",
            "applicant_name": student.name,
            "applicant_id_number": student.id_number,
            "county_found": "on",
        },
    )
    case = ReliefCase.objects.get()
    assert response.status_code == 302 and case.county_found
    page = client.get(reverse("relief-case-detail", args=[case.pk])).content.decode()
    assert "医保报销凭证" in page and "病历复印件" in page and "只代偿当年应还本息" in page


def test_issue11_intake_hostile_input_is_400_not_500(world, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(
        reverse("relief-case-new"),
        {"borrower": "x' or 1=1", "contracts": ["abc"], "category": "9", "event_date": "2026-13-45"},
    )
    assert response.status_code == 400
    assert "请选择本县的借款学生" in response.content.decode()


def test_issue11_upload_page_bad_type_empty_and_size(world, client_for):
    """Uploads through the page: by content, not empty, within the size; nothing stored on refusal."""
    case = open_case(world)
    client = client_for(world.users.county1_staff)
    url = reverse("relief-case-upload", args=[case.pk])
    for upload, text in [
        (pdf("x.pdf", b"MZ\x90\x00 an exe renamed"), "按内容判断"),
        (pdf("big.pdf", b"%PDF-" + b"0" * 70000), "大小限制"),
        (pdf("e.pdf", b""), "空文件"),
    ]:
        response = client.post(url, {"kind": "contract", "file": upload}, follow=True)
        assert response.status_code == 200 and text in response.content.decode()
    assert not ReliefDocument.objects.exists()
    response = client.post(url, {"kind": "contract", "file": pdf()}, follow=True)
    assert ReliefDocument.objects.count() == 1


def test_issue11_article_27_download_in_scope_audited_out_of_scope_404(world, client_for):
    """第二十七条: documents served only in scope (else 404), each view audited."""
    case = open_case(world)
    document = services.relief_document_upload(
        actor=world.users.county1_staff, case=case, kind="contract", upload=pdf()
    )
    url = reverse("relief-document", args=[case.pk, document.pk])
    response = client_for(world.users.county1_manager).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        AuditEvent.objects.filter(action="relief_document.view", actor=world.users.county1_manager).count()
        == 1
    )
    for outsider in (world.users.county2_staff, world.users.university1_officer, world.users.bank_officer):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).get(reverse("relief-case-detail", args=[case.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="relief_document.view").count() == 1


def test_issue11_article_20_2_application_forms_and_correction_notice_print(world, client_for):
    """第二十条（一）（二）: 申请表Ⅰ for 1–4, Ⅱ for 5; the 补正 notice lists what is missing."""
    client = client_for(world.users.county1_staff)
    four = open_case(world)
    five = open_case(world, student=world.students.c1_u4, category="5a")
    assert "申请表Ⅰ" in client.get(reverse("relief-case-form", args=[four.pk])).content.decode()
    assert "申请表Ⅱ" in client.get(reverse("relief-case-form", args=[five.pk])).content.decode()
    services.relief_case_check_materials(actor=world.users.county1_staff, case=four)
    notice = client.get(reverse("relief-case-correction", args=[four.pk])).content.decode()
    assert "医保报销凭证" in notice and "不会发放给被救助人" in notice
    assert AuditEvent.objects.filter(action="relief_case.view").count() == 3


def test_issue11_article_20_buttons_follow_the_rules(world, client_for):
    """Buttons come from the actions selector: the entering clerk sees no pass button; the manager does."""
    case = case_in_county_review(world)
    staff_page = (
        client_for(world.users.county1_staff)
        .get(reverse("relief-case-detail", args=[case.pk]))
        .content.decode()
    )
    assert 'data-action="county_pass"' not in staff_page
    client = client_for(world.users.county1_manager)
    page = client.get(reverse("relief-case-detail", args=[case.pk])).content.decode()
    assert 'data-action="county_pass"' in page
    client.post(reverse("relief-case-act", args=[case.pk]), {"action": "county_pass"})
    case.refresh_from_db()
    assert case.status == states.COUNTY_PASSED


def test_issue11_article_21_province_pages_return_and_hand_over(world, client_for):
    """第二十一条（一）: return with reason from the page; batch compiled and handed over with its date."""
    returned = case_submitted(world)
    passed = case_submitted(world, student=world.students.c1_u4, category="1")
    client = client_for(world.users.province_officer)
    client.post(
        reverse("relief-case-act", args=[returned.pk]), {"action": "province_return", "reason": "病历不清晰"}
    )
    client.post(reverse("relief-case-act", args=[passed.pk]), {"action": "province_pass"})
    returned.refresh_from_db()
    assert returned.status == states.RETURNED
    county_list = client_for(world.users.county1_staff).get(
        reverse("relief-case-list") + "?status=county_queue"
    )
    assert "退回原因：病历不清晰" in county_list.content.decode()
    client = client_for(world.users.province_officer)
    response = client.post(reverse("relief-batch-create"))
    batch_url = response["Location"]
    response = client.post(batch_url + "hand-over/", {"received_on": "not-a-date"}, follow=True)
    assert "有效日期" in response.content.decode()
    from django.utils import timezone

    client.post(batch_url + "hand-over/", {"received_on": timezone.localdate().isoformat()})
    passed.refresh_from_db()
    assert passed.status == states.HANDED_OVER
    assert passed.batch.handed_over_on == timezone.localdate()
    bank = client_for(world.users.bank_officer)
    assert bank.get(batch_url).status_code == 200
    assert bank.get(reverse("relief-case-detail", args=[passed.pk])).status_code == 200
    assert bank.get(reverse("relief-case-detail", args=[returned.pk])).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "relief-case-list",
        "relief-summary-list",
        "relief-batch-list",
        "relief-archive-list",
        "relief-blacklist",
    ],
)
@pytest.mark.parametrize(
    "role", ["county1_staff", "county1_manager", "city1_manager", "province_officer", "bank_officer"]
)
def test_issue11_pages_render_for_each_role(world, client_for, name, role):
    case_submitted(world)
    response = client_for(getattr(world.users, role)).get(reverse(name))
    assert response.status_code == 200


def test_issue11_summary_and_officer_pages(world, client_for):
    case = case_in_county_review(world)
    services.relief_case_county_decide(actor=world.users.county1_manager, case=case, decision="pass")
    staff = client_for(world.users.county1_staff)
    response = staff.post(reverse("relief-summary-create"))
    assert response.status_code == 302
    summary_url = response["Location"]
    assert "上报省资助中心" not in staff.get(summary_url).content.decode()
    manager = client_for(world.users.county1_manager)
    manager.post(summary_url + "submit/")
    case.refresh_from_db()
    assert case.status == states.COUNTY_SUBMITTED
    response = manager.post(reverse("relief-officer"), {"user": world.users.county1_staff.pk}, follow=True)
    assert "已指定信息管理责任人" in response.content.decode()
    assert client_for(world.users.county2_staff).get(summary_url).status_code == 404


def test_issue11_article_23_blacklist_shown_at_intake(world, client_for):
    """第二十三条: the intake page warns about blacklisted borrowers of the county."""
    from repayment_relief import case_followup as followup

    case = open_case(world)
    followup.relief_fraud_record(actor=world.users.county1_staff, case=case, finding="伪造病历复印件")
    page = client_for(world.users.county1_manager).get(reverse("relief-case-new")).content.decode()
    assert 'id="blacklist-known"' in page and case.borrower.name in page
    assert case.borrower.id_number not in page
    other = client_for(world.users.county2_staff).get(reverse("relief-case-new")).content.decode()
    assert 'id="blacklist-known"' not in other


def test_issue11_case_list_query_count_constant(world, client_for, django_assert_max_num_queries):
    """The list page's queries do not grow with the number of cases."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.users.county1_staff)
    open_case(world)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("relief-case-list"))
    open_case(world, student=world.students.c1_u4, category="5a")
    open_case(world, category="1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("relief-case-list"))
