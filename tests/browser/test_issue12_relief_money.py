"""Issue 12 in Chromium: the province accepts the bank's amounts (附件6) with one difference shown, builds a
disbursement batch from the preview (第十七条/第六条), another province manager approves it, and the bank
officer confirms crediting (第二十二条). Screenshots in test-output/."""

import datetime
import os

import pytest

from deadlines.services import calendar_run
from loanportal.models import AuditEvent
from loanportal.roles import Role
from repayment_relief import bank_amounts
from repayment_relief.models import DisbursementBatch, FundAccount, FundAccountKind
from tests.factories import TEST_PASSWORD, UserFactory
from tests.factories_relief_money import batch_received, fund, handed_over_case

pytestmark = pytest.mark.browser


def _login(chromium, live_server, username):
    context = chromium.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def test_issue12_province_accepts_bank_amounts_builds_batch_manager_approves_bank_confirms(
    live_world, chromium, live_server, test_output_dir
):
    world = live_world
    batch = batch_received(world, received_on=datetime.date(2026, 3, 12))
    first = handed_over_case(world, category="1", batch=batch)
    second = handed_over_case(world, category="4", batch=batch, county=world.county2)
    calendar_run(as_of=datetime.date(2026, 3, 20))  # the cutoff-day job freezes both figures
    bank = world.users.bank_officer
    bank_amounts.bank_amount_enter(
        actor=bank,
        case=first,
        contract=first.contracts.get(),
        values={"principal": "24000.00", "interest": "168.00"},
    )
    fund(world, reserve="20000", surplus={world.county1: "5000", world.county2: "1000"})
    UserFactory(username="province_manager2", role=Role.PROVINCE_MANAGER, organisation=world.province)

    # The bank officer enters the second case's amounts on the page (附件6).
    context, page = _login(chromium, live_server, "bank_officer")
    page.goto("/relief/bank-amounts/")
    row = page.locator(f"#bank-pending tr[data-pending^='{second.case_no}']")
    row.locator("input[name=interest]").fill("168.50")
    page.screenshot(path=os.path.join(test_output_dir, "issue12-bank-enters.png"), full_page=True)
    row.get_by_role("button", name="填报").click()
    page.wait_for_load_state()
    assert f"已填报 {second.case_no}" in page.locator(".alert-success").inner_text()
    context.close()

    # The province officer checks 附件6: the second line's interest differs by +0.50.
    context, page = _login(chromium, live_server, "province_officer")
    page.goto(f"/relief/cases/{first.pk}/")  # the case page: its cutoff and its parts
    amounts = page.locator("#case-amounts")
    assert "2026年3月20日" in amounts.inner_text() and "24168.00" in amounts.inner_text()
    assert "门户核定金额已于截止日冻结" in amounts.inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "issue12-case-amounts.png"), full_page=True)
    page.locator("nav a[href='/relief/cases/']").click()  # the navigation's 还款救助 entry
    page.locator("#relief-money-link").click()
    table = page.locator("#annex6-table")
    differing = table.locator("tr.annex6-differs")
    assert differing.count() == 1
    assert second.case_no in differing.inner_text()
    assert "差额 +0.50" in differing.locator("[data-part=interest]").inner_text()
    assert "差额 +0.50" in differing.locator("[data-part=total]").inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "issue12-annex6-difference.png"), full_page=True)
    for _ in range(2):
        table.get_by_role("button", name="确认").first.click()
        page.wait_for_load_state()
    assert table.get_by_text("省中心已确认").count() == 2

    # The preview pays the category 1 case first (第十七条), from the reserve (第六条); build the batch.
    page.get_by_role("link", name="资金划付").click()
    paid = page.locator("#preview-paid tbody tr")
    assert paid.count() == 2 and first.case_no in paid.nth(0).inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "issue12-disbursement-preview.png"), full_page=True)
    page.locator("#prepare-batch").click()
    page.wait_for_load_state()
    assert "待审批" in page.locator("#batch-status").inner_text()
    assert page.locator("#approve-batch").count() == 0  # the officer cannot approve
    context.close()

    batch_row = DisbursementBatch.objects.get()
    assert str(batch_row.total) == "24336.50"

    # Another province manager approves with the document number.
    context, page = _login(chromium, live_server, "province_manager2")
    page.goto(f"/relief/disbursements/{batch_row.pk}/")
    page.fill("#id_document", "甘资助划〔2026〕1号")
    page.locator("#approve-batch").click()
    page.wait_for_load_state()
    assert "已审批划付" in page.locator("#batch-status").inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "issue12-disbursement-approved.png"), full_page=True)
    page.goto("/relief/funds/")
    assert page.locator("#fund-entries").get_by_text("甘资助划〔2026〕1号").count() == 3
    page.screenshot(path=os.path.join(test_output_dir, "issue12-fund-accounts.png"), full_page=True)
    context.close()
    # 24,168.00 + 168.50: the reserve pays 20,000, county1's surplus 4,168, county2's surplus 168.50
    balances = {(a.kind, a.county_id): a.balance for a in FundAccount.objects.all()}
    assert balances[(FundAccountKind.PROVINCIAL_RESERVE, None)] == 0
    assert balances[(FundAccountKind.COUNTY_SURPLUS, world.county1.pk)] == 832
    assert str(balances[(FundAccountKind.COUNTY_SURPLUS, world.county2.pk)]) == "831.50"

    # The bank officer confirms crediting and marking.
    context, page = _login(chromium, live_server, "bank_officer")
    page.locator("nav a[href='/relief/cases/']").click()  # the navigation's 还款救助 entry
    page.locator("#relief-money-link").click()
    page.get_by_role("link", name="资金划付").click()
    page.locator("#disbursement-batches a").first.click()
    page.locator("#confirm-batch").click()
    page.wait_for_load_state()
    assert "银行已入账" in page.locator("#batch-status").inner_text()
    assert page.locator("#disbursement-items").get_by_text("已入账").count() == 2
    page.screenshot(path=os.path.join(test_output_dir, "issue12-bank-confirmed.png"), full_page=True)
    context.close()
    assert AuditEvent.objects.filter(action="disbursement.confirmed").count() == 1


def test_issue12_bank_imports_ledger_row_errors_then_success(
    live_world, chromium, live_server, test_output_dir, tmp_path
):
    """The bank's ledger spreadsheet: a file with an error imports nothing and lists row and column; the
    corrected file imports (all-or-nothing through the one import path)."""
    from repayment_relief.ledger_import import ledger_workbook
    from repayment_relief.models import LoanLedgerSnapshot

    student = live_world.students.c1_u1
    row = [
        "GS2021-0107",
        student.id_number,
        "620123",
        "24000.00",
        "2021",
        "2026-10-31",
        "2025-12-20",
        "16000.00",
        "120.50",
        "2024-12-21:3.05；2025-12-21:2.80",
        "本金:2025-12-20:4000.00；利息:2025-12-20:300.00",
        "2026-12-20:4000.00；2027-12-20:4000.00；2028-09-20:4000.00",
    ]
    bad = tmp_path / "台账-有错误.xlsx"
    bad.write_bytes(ledger_workbook([row, [*row[:5], "2026-13-01", *row[6:]]]))
    good = tmp_path / "台账.xlsx"
    good.write_bytes(ledger_workbook([row]))
    context, page = _login(chromium, live_server, "bank_officer")
    page.goto("/relief/ledger/import/")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    errors = page.locator("#ledger-errors")
    assert "第3行" in errors.inner_text() and "台账日期" in errors.inner_text()
    assert not LoanLedgerSnapshot.objects.exists()
    page.screenshot(path=os.path.join(test_output_dir, "issue12-ledger-import-errors.png"), full_page=True)
    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("台账导入成功：1 个合同").is_visible()
    page.screenshot(path=os.path.join(test_output_dir, "issue12-ledger-import-done.png"), full_page=True)
    context.close()
    assert LoanLedgerSnapshot.objects.get().is_latest
