"""Issue 10 browser journeys in Chromium: a university officer enters twenty receipt codes by keyboard
only (a scanner types the code and Enter; no clicks, the input keeps the focus) and sees a green or red
mark for each; then issues fee certificates (收费证明) in bulk and opens one for printing on A4."""

import datetime
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Application, ApplicationStatus, FeeCertificate
from applications.rules import lifecycle as rules
from deadlines.services import key_date_extend, key_date_get
from tests.factories import valid_id
from tests.factories_lifecycle import make_application, open_calendar, receipt_entry_open

pytestmark = pytest.mark.browser


def _signed(world, n: int, *, to: str = "contract_signed") -> list[Application]:
    open_calendar(2026)
    surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
    return [
        make_application(
            world,
            to=to,
            student={
                "name": f"{surnames[i]}同学",
                "id_number": valid_id(world.county1.code, f"2006{1 + i % 12:02d}{10 + i:02d}"),
            },
        )
        for i in range(n)
    ]


def test_issue10_officer_enters_twenty_receipts_by_keyboard_only(live_world, page, login, test_output_dir):
    applications = _signed(live_world, 20)
    receipt_entry_open(live_world)
    login("university1_officer")
    page.goto("/applications/receipts/")
    scan_input = page.locator("#id_receipt_code")
    scan_input.wait_for()
    assert page.evaluate("document.activeElement.id") == "id_receipt_code"  # focused on arrival
    # twenty codes as a scanner types them (grouped or not, lower case too), each followed by Enter,
    # plus a mistyped one and a repeat: no mouse anywhere
    typed = []
    for index, application in enumerate(applications):
        code = application.receipt_code
        typed.append(rules.receipt_code_display(code) if index % 2 else code.lower())
    typed.insert(
        7, applications[3].receipt_code[:-1] + ("A" if applications[3].receipt_code[-1] != "A" else "B")
    )
    typed.insert(15, applications[0].receipt_code)
    for code in typed:
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    log = page.locator("#scan-log")
    expect(log.locator("[data-result=ok]")).to_have_count(20)
    expect(log.locator("[data-result=bad]")).to_have_count(2)
    assert page.evaluate("document.activeElement.id") == "id_receipt_code"  # still in the input
    expect(page.locator("#scan-card")).to_have_class(re.compile(r"flash-(ok|bad)"))  # the visual flash
    assert page.locator("#receipts-pending").inner_text() == "0"  # the figure followed the scans
    assert scan_input.input_value() == ""
    assert "成功 20 条" in page.locator("#scan-summary").inner_text().replace("\n", " ")
    bad = log.locator("[data-result=bad]")
    assert "校验位错误" in bad.nth(1).inner_text()
    assert "无需重复录入" in bad.nth(0).inner_text() and "赵*学" in bad.nth(0).inner_text()
    assert "赵同学" not in page.content()  # masked names only
    assert Application.objects.filter(status=ApplicationStatus.RECEIPT_ENTERED).count() == 20
    page.screenshot(path=os.path.join(test_output_dir, "issue10-receipts-scanned.png"), full_page=True)
    # a reload (or no JS at all) lists today's entries from the server
    page.reload()
    expect(page.locator("#scan-log [data-result=ok]")).to_have_count(20)


def test_issue10_officer_issues_fee_certificates_in_bulk_and_prints_one(
    live_world, page, login, test_output_dir
):
    applications = _signed(live_world, 4, to="disbursed")
    key_date_extend(
        actor=live_world.users.province_manager,
        key_date=key_date_get("fee_certificate_window", year=2026),
        organisation=live_world.university1,
        end_date=max(timezone.localdate(), datetime.date(2026, 11, 30)) + datetime.timedelta(days=10),
        reason="到账较晚，延期开具收费证明",
    )
    login("university1_officer")
    page.get_by_role("link", name="收费证明").first.click()
    page.locator("#fee-table").wait_for()
    assert "本校已延期" in page.locator("[role=status]").inner_text()
    assert page.locator("#fee-table tbody tr").count() == 4
    page.screenshot(
        path=os.path.join(test_output_dir, "issue10-fee-certificates-waiting.png"), full_page=True
    )
    page.locator('input[data-check-all="ids"]').check()
    page.locator(f'input[name="ids"][value="{applications[3].pk}"]').uncheck()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="为所选学生开具收费证明").click()
    page.get_by_text("已开具 3 份收费证明").wait_for()
    assert FeeCertificate.objects.count() == 3
    assert Application.objects.filter(status=ApplicationStatus.FEE_CERTIFIED).count() == 3
    page.select_option("#id_status", "issued")
    page.wait_for_url("**/fee-certificates/?status=issued*")
    page.screenshot(path=os.path.join(test_output_dir, "issue10-fee-certificates-issued.png"), full_page=True)
    certificate = FeeCertificate.objects.order_by("sequence").first()
    page.get_by_role("link", name=certificate.number).click()
    page.locator("#fee-certificate").wait_for()
    sheet = page.locator("#fee-certificate").inner_text()
    for text in ("收费证明", "兰州大学", certificate.number, certificate.application.student.name, "6200 元"):
        assert text in sheet
    page.screenshot(path=os.path.join(test_output_dir, "issue10-fee-certificate-screen.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".toolbar").is_visible()  # the print buttons are not printed
    page.screenshot(path=os.path.join(test_output_dir, "issue10-fee-certificate-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") <= 2
