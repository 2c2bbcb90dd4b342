"""Issue 11 journey in Chromium: a county clerk opens a category-4 relief case, uploads its documents and
records the visit; the county manager passes it and submits the county summary (附件4); the province
officer re-reviews it and hands a batch (附件5) to the bank. Screenshots in test-output/."""

import os

import pytest
from django.utils import timezone

from repayment_relief import states
from repayment_relief.models import ReliefBatch, ReliefCase
from tests.factories_relief import JPEG, PDF, PNG, contract_for

pytestmark = pytest.mark.browser


def shot(page, out, name):
    page.screenshot(path=os.path.join(out, f"issue11-{name}.png"), full_page=True)


def test_issue11_relief_journey(live_world, page, login, test_output_dir, settings, tmp_path):
    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")
    student = live_world.students.c1_u1
    contract = contract_for(student)
    files = {}
    for kind, data, suffix in [
        ("contract", PDF, "pdf"),
        ("applicant_id", JPEG, "jpg"),
        ("medical_vouchers", PDF, "pdf"),
        ("medical_records", PNG, "png"),
    ]:
        path = tmp_path / f"{kind}.{suffix}"
        path.write_bytes(data)
        files[kind] = str(path)

    # --- county clerk: intake (第十九条) ---
    login("county1_staff")
    page.get_by_role("link", name="救助", exact=True).click()
    page.locator("#relief-new").click()
    page.select_option("#id_borrower", str(student.pk))
    page.check(f"input[name=contracts][value='{contract.pk}']")
    page.select_option("#id_category", "4")
    page.fill("#id_facts", "借款学生母亲患尿毒症，长期透析，家庭负担沉重")
    page.select_option("#id_applicant_kind", "borrower")
    page.fill("#id_applicant_name", student.name)
    page.fill("#id_applicant_id_number", student.id_number)
    shot(page, test_output_dir, "1-intake-form")
    page.get_by_role("button", name="开立案件").click()
    page.locator("#checklist").wait_for()
    case = ReliefCase.objects.get()
    assert "医保报销凭证" in page.locator("#checklist").inner_text()

    # a file renamed to .pdf that is not one is refused by content
    bad = tmp_path / "fake.pdf"
    bad.write_bytes(b"<html>not a pdf</html>")
    page.select_option("#id_kind", "contract")
    page.set_input_files("#id_file", str(bad))
    page.locator("#upload-form button[type=submit]").click()
    page.get_by_text("按内容判断").wait_for()

    for kind, path in files.items():
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", path)
        page.locator("#upload-form button[type=submit]").click()
        page.locator(f"#checklist [data-kind='{kind}'] a").first.wait_for()
    page.locator("button[data-action=check]").click()
    page.locator("#case-status", has_text="县级初审中").wait_for()

    assert page.input_value("#id_checked_on") == timezone.localdate().isoformat()
    page.select_option("#id_method", "field_visit")
    page.fill("#id_checked_by", "孙丽")
    page.fill("#id_findings", "实地走访，病历与报销凭证属实")
    page.check("#id_bank_payment_told")
    page.locator("#verify-form button[type=submit]").click()
    page.get_by_text("已告知：救助资金直接支付给国开行").wait_for()
    assert page.locator("button[data-action=county_pass]").count() == 0  # the clerk cannot pass it
    shot(page, test_output_dir, "2-case-clerk")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # the county nav still fits

    # --- county manager: pass, summary 附件4, submit ---
    page.context.clear_cookies()
    login("county1_manager")
    page.goto(f"/relief/cases/{case.pk}/")
    page.locator("button[data-action=county_pass]").click()
    page.locator("#case-status", has_text="县级初审通过").wait_for()
    page.goto("/relief/summaries/")
    page.get_by_role("button", name="编制汇总表").click()
    page.locator("#summary-cases").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#summary-submit").click()
    page.get_by_text("汇总表已上报省资助中心").wait_for()
    shot(page, test_output_dir, "3-summary-submitted")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # the manager's nav (审计日志) too

    # --- province officer: re-review in 第十七条 order, batch 附件5, hand over ---
    page.context.clear_cookies()
    login("province_officer")
    page.goto("/relief/cases/?status=province_queue")
    shot(page, test_output_dir, "4-province-queue")
    page.get_by_role("link", name=case.case_no).click()
    assert "只代偿当年应还本息" in page.locator("#case-scope").inner_text()
    page.locator("button[data-action=province_pass]").click()
    page.locator("#case-status", has_text="省级复审通过").wait_for()
    page.goto("/relief/batches/")
    page.locator("#batch-create").click()
    page.locator("#batch-cases").wait_for()
    page.fill("#id_received_on", timezone.localdate().isoformat())
    page.locator("#hand-over-form button[type=submit]").click()
    page.locator("#batch-cutoff").wait_for()
    shot(page, test_output_dir, "5-batch-handed-over")
    case.refresh_from_db()
    assert case.status == states.HANDED_OVER
    assert ReliefBatch.objects.get().handed_over_on == timezone.localdate()

    # the printable application form (申请表Ⅰ)
    page.goto(f"/relief/cases/{case.pk}/form/")
    page.locator("#application-form").wait_for()
    shot(page, test_output_dir, "6-application-form")
