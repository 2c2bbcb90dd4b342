"""Issue 10 in Chromium at 1366×768: a university officer filters one class in the renewal review queue,
ticks ten declarations and approves them at once, returns one with a reason (notice 三(七)); then edits
the fee standards table (收费标准), sees a row error, fixes it, adds rows and confirms the fee account."""

import os

import pytest
from django.utils import timezone

from deadlines.rules import loan_year_number
from renewals import states
from renewals.models import FeeAccount, FeeStandard, RenewalDeclaration
from renewals.services import renewal_declare
from tests.factories import StudentFactory

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
CLASS = "计科2201"


@pytest.fixture
def declarations(live_world):
    year = loan_year_number(timezone.localdate())
    made = []
    for index in range(15):
        student = StudentFactory(
            name=f"续贷{index:02d}号",
            household_county=live_world.county1 if index % 2 else live_world.county3,
            university=live_world.university1,
            department="信息科学与工程学院",
            class_name=CLASS if index < 12 else "计科2202",
            student_number=f"2022073{index:03d}",
            enrolment_year=2022,
        )
        made.append(
            renewal_declare(
                actor=None,
                student=student,
                year=year,
                tuition_amount=4000,
                contract_number=f"6220250000{index:02d}",
            )
        )
    return made


def test_issue10_officer_filters_a_class_bulk_approves_ten_and_returns_one(
    declarations, page, login, test_output_dir
):
    page.set_viewport_size(LAPTOP)
    login("university1_officer")
    page.goto("/renewals/")
    page.select_option("#id_class_name", CLASS)
    page.click("form.filter-bar button[type=submit]")
    page.wait_for_url(lambda url: "class_name=" in url)
    rows = page.locator("#renewal-table tbody tr[data-renewal]")
    assert rows.count() == 12
    assert "计科2202" not in page.locator("#renewal-table tbody").inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "issue10_queue_class_filtered.png"), full_page=True)

    for index in range(10):
        rows.nth(index).locator("input[name=ids]").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#renewal-bulk-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "已审核通过 10 份续贷声明" in page.locator(".alert-success").first.inner_text()
    assert "class_name=" in page.url  # back on the same filtered queue
    assert RenewalDeclaration.objects.filter(status=states.APPROVED).count() == 10

    remaining = page.locator("#renewal-table tbody tr[data-renewal]").filter(has_text="待审核")
    target = remaining.first
    pk = int(target.get_attribute("data-renewal"))
    page.once("dialog", lambda dialog: dialog.accept("住宿费与学校收费标准不符，请核对后重新提交"))
    target.get_by_role("button", name="退回修改").click()
    page.wait_for_selector(".alert-success")
    returned = RenewalDeclaration.objects.get(pk=pk)
    assert returned.status == states.RETURNED and returned.review_reason.startswith("住宿费")
    assert (
        RenewalDeclaration.objects.filter(status=states.SUBMITTED).count() == 4
    )  # 1 in the class + 3 others
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    page.screenshot(path=os.path.join(test_output_dir, "issue10_queue_after_review.png"), full_page=True)


def test_issue10_officer_edits_fee_standards_in_the_table(live_world, page, login, test_output_dir):
    page.set_viewport_size(LAPTOP)
    login("university1_officer")
    page.goto("/fee-standards/")
    page.fill("#id_form-0-major", "计算机科学与技术")
    page.select_option("#id_form-0-level", "undergraduate")
    page.fill("#id_form-0-tuition", "5000")
    page.fill("#id_form-0-accommodation", "1200")
    page.fill("#id_form-1-major", "临床医学")
    page.select_option("#id_form-1-level", "undergraduate")
    page.fill("#id_form-1-tuition", "六千")
    page.fill("#id_form-1-accommodation", "1200")
    page.click("button[name=save]")
    page.wait_for_selector("tr.table-danger")
    assert "学费应为整数" in page.locator("tr.table-danger").inner_text()
    assert not FeeStandard.objects.exists()  # one bad row: nothing saved
    page.screenshot(path=os.path.join(test_output_dir, "issue10_fee_table_row_error.png"), full_page=True)

    page.fill("#id_form-1-tuition", "6200")
    page.click("button[name=add_rows]")
    page.wait_for_selector("#id_form-7-major")
    page.fill("#id_form-7-major", "化学")
    page.select_option("#id_form-7-level", "undergraduate")
    page.fill("#id_form-7-tuition", "4800")
    page.fill("#id_form-7-accommodation", "1000")
    page.click("button[name=save]")
    page.wait_for_selector(".alert-success")
    assert FeeStandard.objects.count() == 3

    page.fill("#id_account_name", "兰州大学")
    page.fill("#id_bank_name", "中国银行兰州分行")
    page.fill("#id_account_number", "6228480012345678")
    page.click("#fee-account button[type=submit]")
    page.wait_for_selector("#account-masked")
    assert page.locator("#account-masked").inner_text() == "************5678"
    assert FeeAccount.objects.get().confirmed_by.username == "university1_officer"
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    page.screenshot(path=os.path.join(test_output_dir, "issue10_fee_table_saved.png"), full_page=True)


def test_issue10_class_reminder_and_graduation_pages(live_world, page, login, test_output_dir):
    """The class reminder (notice 三(七)) and graduation confirmation (七(十九)) as the officer sees them."""
    from renewals.services import renewal_review

    year = loan_year_number(timezone.localdate())
    for index in range(6):
        student = StudentFactory(
            name=f"提醒{index}号",
            household_county=live_world.county1,
            university=live_world.university1,
            department="经济学院" if index % 3 == 0 else "信息科学与工程学院",
            class_name="金融2301" if index % 3 == 0 else "计科2301",
            student_number=f"2023010{index}",
            enrolment_year=year - 4 if index == 5 else 2023,
        )
        last = renewal_declare(
            actor=None, student=student, year=year - 1, tuition_amount=4000, contract_number=f"C{index}"
        )
        renewal_review(actor=live_world.users.university1_officer, declaration=last, decision="approve")
    page.set_viewport_size(LAPTOP)
    login("university1_officer")
    page.goto("/renewals/reminders/")
    assert page.locator("#reminder-total").inner_text() == "5"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#send-reminder")
    page.wait_for_selector(".alert-success")
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    page.screenshot(path=os.path.join(test_output_dir, "issue10_class_reminder.png"), full_page=True)

    page.goto("/graduation/")
    page.get_by_role("link", name="确认毕业").first.click()
    page.fill("#id_graduation_date", f"{year}-06-30")
    page.fill("#id_employer", "兰州某科技有限公司")
    page.select_option("#id_employment_status", "已就业")
    page.click("#graduation-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    page.select_option("#id_status", "confirmed")
    page.click("form.filter-bar button[type=submit]")
    page.wait_for_selector("#graduation-table tr[data-student]")
    assert "兰州某科技有限公司" in page.locator("#graduation-table").inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "issue10_graduation_list.png"), full_page=True)
