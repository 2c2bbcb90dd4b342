"""Browser journey in Chromium: a county clerk books a caller, checks the student in, calls them to a
window, enters the first-loan application with the written commitment (notice 三(八)), signs the
contract and prints the acceptance certificate (受理证明) with the receipt code."""

import datetime
import os

import pytest
from django.utils import timezone

from applications.models import Application, Appointment
from applications.rules import lifecycle as rules
from applications.services import queue as intake_services
from loanportal.rules import mask_id_number
from tests.factories import valid_id
from tests.factories_intake import make_site

pytestmark = pytest.mark.browser


@pytest.fixture
def morning(monkeypatch):
    moment = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(intake_services.clock, "now", lambda: moment)
    return moment


def _extend_intake_window(world, today):
    """Today is after the default window (7/15–9/20): the province extends it for county 1 (notice 八)."""
    from deadlines.models import KeyDate
    from deadlines.services import key_date_extend, loan_year_ensure

    loan_year_ensure(year=today.year)
    key_date = KeyDate.objects.get(loan_year__year=today.year, code="intake_window")
    if today > key_date.end_date:
        key_date_extend(
            actor=world.users.province_manager,
            key_date=key_date,
            organisation=world.county1,
            end_date=today + datetime.timedelta(days=10),
            reason="受理量大，延长现场受理期",
        )


def test_clerk_from_queue_to_acceptance_certificate(live_world, morning, page, login, test_output_dir):
    from renewals.services import fee_standard_set

    county = live_world.county1
    today = morning.date()
    _extend_intake_window(live_world, today)
    fee_standard_set(
        actor=None,
        university=live_world.university1,
        year=today.year,
        major="计算机科学与技术",
        level="undergraduate",
        tuition=5000,
        accommodation=1200,
    )
    site = make_site(
        county,
        name="榆中县资助中心受理大厅",
        windows=2,
        opens=datetime.time(8, 30),
        closes=datetime.time(12, 0),
    )
    intake_services.slots_generate(actor=None, site=site, start=today, end=today)

    login("county1_staff")
    # 1. book the caller
    page.get_by_role("link", name="预约与叫号").click()
    page.locator("#booking").wait_for()
    page.select_option("#id_slot", page.locator("#id_slot option").nth(1).get_attribute("value"))
    id_number = valid_id(county.code, "20070315")
    page.fill("#id_name", "李明远")
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", "13912345678")
    page.get_by_role("button", name="确认预约").click()
    page.get_by_text("已为 李明远 预约").wait_for()
    appointment = Appointment.objects.get(id_number=id_number)
    # 2. check in, 3. call to window 1
    page.locator(f'tr[data-appointment="{appointment.pk}"]').get_by_role("button", name="签到").click()
    page.get_by_text("李明远 签到成功").wait_for()
    page.get_by_role("button", name="1号窗口 · 呼叫下一位").click()
    page.get_by_text("到 1 号窗口办理").wait_for()
    # 4. the application, prefilled from the appointment
    page.locator(f'tr[data-appointment="{appointment.pk}"]').get_by_role("link", name="办理贷款").click()
    page.wait_for_url(f"**/applications/new/?appointment={appointment.pk}")
    assert page.input_value("#id_name") == "李明远"
    # no full number in the page (issue 7 item 8): the clerk types it from the card, checked at once
    assert page.input_value("#id_id_number") == "" and page.input_value("#id_phone") == ""
    assert mask_id_number(id_number) in page.get_attribute("#id_id_number", "placeholder")
    assert id_number not in page.content() and "13912345678" not in page.content()
    page.locator("#id_id_number").press_sequentially(valid_id(county.code, "20070316"))
    page.get_by_text("不一致").wait_for()
    page.fill("#id_id_number", "")
    page.locator("#id_id_number").press_sequentially(id_number)
    page.get_by_text("不一致").wait_for(state="detached")
    page.fill("#id_address", "榆中县城关镇兴隆路12号")
    page.fill("#id_co_name", "李建国")
    page.fill("#id_co_id_number", valid_id(county.code, "19750505"))
    page.select_option("#id_co_relationship", "father")
    page.fill("#id_co_phone", "13987654321")
    page.select_option("#id_university", str(live_world.university1.pk))
    page.fill("#id_major", "计算机科学与技术")
    page.locator("#id_major").dispatch_event("change")
    page.get_by_text("该校收费标准").wait_for()  # htmx: the university's fee standard fills the amounts
    assert page.input_value("#id_tuition_amount") == "5000"
    assert page.input_value("#id_accommodation_amount") == "1200"
    page.get_by_text("6200 元").wait_for()
    # submitting without the written commitment is refused with a clear message
    page.get_by_role("button", name="受理申请").click()
    page.get_by_text("须向其提示承诺不实应负的法律责任").wait_for()
    page.screenshot(
        path=os.path.join(test_output_dir, "application-form-commitment-missing.png"), full_page=True
    )
    page.check("#id_commitment_accepted")
    page.get_by_role("button", name="受理申请").click()
    page.get_by_text("已受理 李明远 的贷款申请").wait_for()
    application = Application.objects.get(student__id_number=id_number)
    assert application.status == "accepted" and application.appointment_id == appointment.pk
    assert application.commitment_recorded_by.username == "county1_staff"
    assert application.student.phone == "13912345678"  # left blank: the phone on the appointment
    appointment.refresh_from_db()
    assert appointment.status == "served"
    assert id_number not in page.content()
    page.screenshot(path=os.path.join(test_output_dir, "application-detail-accepted.png"), full_page=True)
    # 5. sign → the acceptance certificate
    dialogs = []  # signing asks for confirmation first (issue 8)
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="签订合同").click()
    page.wait_for_url(f"**/applications/{application.pk}/certificate/")
    assert "签订贷款合同" in dialogs[0] and "李明远" in dialogs[0]
    application.refresh_from_db()
    code = rules.receipt_code_display(application.receipt_code)
    certificate = page.locator("#certificate")
    for text in (
        "受理证明",
        "榆中县学生资助管理中心",
        "李明远",
        "兰州大学",
        application.contract_number,
        code,
        "6200 元",
    ):
        assert text in certificate.inner_text(), text
    assert id_number not in page.content()
    page.emulate_media(media="print")
    page.screenshot(path=os.path.join(test_output_dir, "application-certificate.png"), full_page=True)
    page.emulate_media(media="screen")
    # 6. the county's intake list shows it, newest first, ID masked
    page.goto("/applications/?status=contract_signed")
    first_row = page.locator("#application-table tbody tr").first
    assert "李明远" in first_row.inner_text() and "已签合同" in first_row.inner_text()
    assert id_number not in page.content()
    page.screenshot(path=os.path.join(test_output_dir, "application-list.png"), full_page=True)
