"""Issue 13 browser journeys in Chromium: a county clerk confirms entered receipts in bulk and sends one
back with a reason (电子回执确认, notice 八); the province officer imports the bank's spreadsheet — first with
a mistake (the row-level report, nothing written), then corrected (审批放款). Screenshots saved."""

import os

import pytest

from applications.models import Application
from tests.factories_yearend import XLSX, applications_in, bank_file, extend

pytestmark = pytest.mark.browser


def _shot(page, test_output_dir, name):
    page.screenshot(path=os.path.join(test_output_dir, name), full_page=True)


def test_issue13_county_confirms_receipts_in_bulk(live_world, page, login, test_output_dir):
    world = live_world
    apps = applications_in(world, "receipt_entered", 3)
    extend(world, "receipt_confirm_due", world.county1)
    extend(world, "receipt_entry_due", world.university1)  # the university may enter it again
    page.on("dialog", lambda dialog: dialog.accept("回执码对应的学生有误，请高校核对后重新录入"))
    login("county1_staff")
    page.get_by_role("link", name="贷款申请", exact=True).click()
    page.get_by_role("link", name="确认回执", exact=True).click()
    page.locator("#receipt-table").wait_for()
    for application in apps:
        assert page.locator(f"#receipt-{application.pk}").inner_text().count(application.contract_number) == 1
    _shot(page, test_output_dir, "issue13-receipts-before.png")
    page.check(f"#receipt-{apps[0].pk} input[name=application]")
    page.check(f"#receipt-{apps[1].pk} input[name=application]")
    page.click("#confirm-selected")
    page.get_by_text("已确认 2 份电子回执").wait_for()
    page.locator(f"#receipt-{apps[2].pk} button", has_text="退回").click()
    page.get_by_text("退回高校重新录入").wait_for()
    _shot(page, test_output_dir, "issue13-receipts-after.png")
    statuses = [Application.objects.get(pk=a.pk).status for a in apps]
    assert statuses == ["receipt_confirmed", "receipt_confirmed", "contract_signed"]


def test_issue13_province_officer_imports_a_bank_file(live_world, page, login, test_output_dir):
    world = live_world
    apps = applications_in(world, "receipt_confirmed", 2)
    extend(world, "bank_approval_due", world.bank)
    login("province_officer")
    page.get_by_role("link", name="贷款申请", exact=True).click()
    page.get_by_role("link", name="审批放款情况", exact=True).click()
    page.locator("#bank-table").wait_for()
    page.get_by_role("link", name="导入银行审批放款表").click()

    def upload(rows, name):
        content = bank_file(rows, name=name).read()
        page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX, "buffer": content}])
        page.click("#bank-import-form button[type=submit]")
        page.locator("#import-outcome").wait_for()

    wrong = [
        [apps[0].contract_number, apps[0].student.name, "已放款", 6200, 6000, 100, "2026-11-15", ""],
        [apps[1].contract_number, apps[1].student.name, "审批不通过", 6200, None, None, "", ""],
    ]
    upload(wrong, "国开行审批放款（有误）.xlsx")
    report = page.locator("#import-errors").inner_text()
    assert "与签约金额6200元不一致" in report and "须填写原因" in report
    _shot(page, test_output_dir, "issue13-bank-import-errors.png")
    assert {Application.objects.get(pk=a.pk).status for a in apps} == {"receipt_confirmed"}

    page.get_by_role("link", name="重新导入").click()
    right = [
        [apps[0].contract_number, apps[0].student.name, "已放款", 6200, 6000, 200, "2026-11-15", ""],
        [
            apps[1].contract_number,
            apps[1].student.name,
            "审批不通过",
            6200,
            None,
            None,
            "",
            "共同借款人征信逾期",
        ],
    ]
    upload(right, "国开行审批放款.xlsx")
    assert "放款 1 个" in page.locator("#import-outcome").inner_text()
    page.get_by_role("link", name="银行审批放款", exact=True).click()
    page.locator("#bank-table").wait_for()
    _shot(page, test_output_dir, "issue13-bank-list.png")
    assert [Application.objects.get(pk=a.pk).status for a in apps] == ["disbursed", "bank_declined"]


def test_issue13_county_archives_into_a_box_and_bank_records_one_contract(
    live_world, page, login, test_output_dir
):
    """Archives (归档) at the county and the bank's per-contract entry: the pages as users see them."""
    world = live_world
    disbursed = applications_in(world, "disbursed", 2)
    confirmed = applications_in(world, "receipt_confirmed", 1, start=10)[0]
    extend(world, "bank_approval_due", world.bank)
    page.on("dialog", lambda dialog: dialog.accept())
    login("county1_staff")
    page.get_by_role("link", name="贷款申请", exact=True).click()
    page.get_by_role("link", name="归档", exact=True).click()
    page.fill("#id_number", "2026-001")
    page.fill("#id_contents", "借款合同、受理证明、身份证复印件")
    page.fill("#id_location", "档案室A柜1层")
    page.click("#box-form button[type=submit]")
    page.locator("#candidates").wait_for()
    page.check(f"#candidates input[value='{disbursed[0].pk}']")
    page.click("#assign-selected")
    page.get_by_text("已将 1 件申请装入第2026-001号档案盒并归档").wait_for()
    _shot(page, test_output_dir, "issue13-archive-box.png")
    page.get_by_role("link", name="全部档案盒").click()
    page.fill("#id_number_q", "001")
    page.get_by_role("button", name="查找").click()
    page.locator("#box-table").get_by_text("2026-001").wait_for()
    _shot(page, test_output_dir, "issue13-archives.png")
    assert Application.objects.get(pk=disbursed[0].pk).status == "archived"

    page.context.clear_cookies()
    login("bank_officer")
    page.goto(f"/bank-status/{confirmed.pk}/")
    page.check("input[name=result][value=disbursed]")
    page.fill("#id_to_university", "6000")
    page.fill("#id_to_student", "100")
    page.click("#bank-status-form button[type=submit]")
    page.locator(".invalid-feedback").first.wait_for()
    _shot(page, test_output_dir, "issue13-bank-entry-error.png")
    page.fill("#id_to_student", "200")
    page.click("#bank-status-form button[type=submit]")
    page.locator("#bank-table").wait_for()
    assert Application.objects.get(pk=confirmed.pk).status == "disbursed"
