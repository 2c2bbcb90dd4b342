"""Issue 8, "tried as a new user would", in Chromium at 1366×768: the queue table fits with 办理贷款 in view
on a busy day, the window panel refreshes with the table, a refused booking keeps what was typed, the fee
standard fills only empty amounts, and an out-of-scope page is the Chinese 404."""

import datetime
import os

import pytest
from django.utils import timezone

from applications.services import queue as services
from tests.factories_intake import make_site, person

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def morning(monkeypatch):
    moment = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(services.clock, "now", lambda: moment)
    return moment


@pytest.fixture
def busy_day(live_world, morning):
    """A county site with 60 appointments today: 40 finished, 2 at windows, 5 waiting, the rest booked."""
    county = live_world.county1
    site = make_site(
        county,
        name="榆中县资助中心受理大厅",
        windows=3,
        opens=datetime.time(8, 0),
        closes=datetime.time(18, 0),
        per_case=10,
    )
    services.slots_generate(actor=None, site=site, start=morning.date(), end=morning.date())
    slots = list(site.slots.order_by("starts_at"))
    people = []
    for n in range(60):
        people.append(services.appointment_book(actor=None, slot=slots[n % len(slots)], **person(county, n)))
    for a in people[:47]:
        services.appointment_check_in(actor=None, appointment=a)
    windows = list(site.windows.order_by("number"))
    for a in people[:40]:
        services.appointment_call_next(actor=None, window=windows[0])
        a.refresh_from_db()
        services.appointment_serve(actor=None, appointment=a)
    services.appointment_call_next(actor=None, window=windows[0])
    services.appointment_call_next(actor=None, window=windows[1])
    return {"site": site, "people": people, "windows": windows}


def test_issue8_ui_queue_fits_at_1366_with_the_loan_button_in_view(busy_day, page, login, test_output_dir):
    page.set_viewport_size(LAPTOP)
    login("county1_staff")
    page.goto("/intake/queue/")
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    wrapper = page.locator("#queue-table").locator("xpath=..")
    assert wrapper.evaluate("el => el.scrollWidth <= el.clientWidth")  # no horizontal scrollbar
    groups = page.locator("tbody.queue-group").evaluate_all("els => els.map(e => e.dataset.group)")
    assert groups == ["active", "booked", "done"]
    first = page.locator('tbody[data-group="active"] tr[data-appointment]').first
    assert "已叫号" in first.inner_text()  # serving first, then waiting
    button = first.get_by_role("link", name="办理贷款")
    box = button.bounding_box()
    assert box["x"] + box["width"] <= LAPTOP["width"] and box["y"] + box["height"] <= LAPTOP["height"]
    done = page.locator('tbody[data-group="done"] tr[data-appointment]').count()
    assert done == 20  # 40 finished, paged
    page.screenshot(path=os.path.join(test_output_dir, "issue8-queue-1366.png"))


def test_issue8_ui_window_panel_refreshes_with_the_table(live_world, morning, page, login, settings):
    settings.INTAKE_QUEUE_REFRESH_SECONDS = 1
    county = live_world.county1
    site = make_site(county, windows=2, opens=datetime.time(8, 30), closes=datetime.time(12, 0))
    services.slots_generate(actor=None, site=site, start=morning.date(), end=morning.date())
    a = services.appointment_book(actor=None, slot=site.slots.order_by("starts_at")[0], **person(county, 4))
    services.appointment_check_in(actor=None, appointment=a)
    login("county1_staff")
    page.goto("/intake/queue/")
    page.fill("#id_name", "正在输入")
    assert "窗口空闲" in page.locator("#call-panel").inner_text()
    services.appointment_call_next(actor=None, window=site.windows.get(number=2))  # a colleague calls
    page.wait_for_function(
        "() => document.querySelector('#call-panel').innerText.includes('" + a.name + "')", timeout=10_000
    )
    assert page.locator("#id_name").input_value() == "正在输入"  # the booking form is left alone


def test_issue8_ui_refused_booking_keeps_what_was_typed(live_world, morning, page, login, test_output_dir):
    county = live_world.county1
    site = make_site(county, windows=2, opens=datetime.time(8, 30), closes=datetime.time(12, 0))
    services.slots_generate(actor=None, site=site, start=morning.date(), end=morning.date())
    page.set_viewport_size(LAPTOP)
    login("county1_staff")
    page.goto("/intake/queue/")
    value = page.locator("#id_slot option").nth(1).get_attribute("value")
    page.select_option("#id_slot", value)
    page.fill("#id_name", "王晓燕")
    page.fill("#id_id_number", "620123200603150011")  # wrong check digit
    page.fill("#id_phone", "13912345678")
    page.get_by_role("button", name="确认预约").click()
    page.get_by_text("预约未成功").wait_for()
    assert page.input_value("#id_name") == "王晓燕"
    assert page.input_value("#id_id_number") == "620123200603150011"
    assert page.input_value("#id_phone") == "13912345678"
    assert page.input_value("#id_slot") == value
    assert page.locator("#booking .invalid-feedback").count() >= 1
    page.locator("#booking").screenshot(path=os.path.join(test_output_dir, "issue8-booking-error-kept.png"))
    # the walk-in form likewise
    page.fill("#id_walkin-name", "现场生")
    page.fill("#id_walkin-id_number", "123")
    page.get_by_role("button", name="取号并签到").click()
    page.get_by_text("现场取号未成功").wait_for()
    assert (
        page.input_value("#id_walkin-name") == "现场生" and page.input_value("#id_walkin-id_number") == "123"
    )


def test_issue8_ui_fee_standard_fills_only_empty_amounts(live_world, page, login, test_output_dir):
    from applications.services.lifecycle import current_loan_year
    from renewals.services import fee_standard_set

    for major, tuition in (("计算机科学与技术", 5000), ("化学", 4800)):
        fee_standard_set(
            actor=None,
            university=live_world.university1,
            year=current_loan_year(),
            major=major,
            level="undergraduate",
            tuition=tuition,
            accommodation=1200,
        )
    page.set_viewport_size(LAPTOP)
    login("county1_staff")
    page.goto("/applications/new/")
    page.fill("#id_tuition_amount", "3000")  # typed by the clerk before choosing the school
    page.select_option("#id_university", str(live_world.university1.pk))
    page.fill("#id_major", "计算机科学与技术")
    page.locator("#id_major").dispatch_event("change")
    page.get_by_text("该校收费标准").wait_for()
    assert page.input_value("#id_tuition_amount") == "3000"  # kept
    assert page.input_value("#id_accommodation_amount") == "1200"  # was empty (0): filled
    page.get_by_text("已保留您填写的学费").wait_for()
    page.get_by_text("4200 元").wait_for()
    # a second standard replaces what the portal filled, never what the clerk typed
    page.fill("#id_major", "化学")
    page.locator("#id_major").dispatch_event("change")
    page.get_by_text("学费 4800 元/年").wait_for()
    assert page.input_value("#id_tuition_amount") == "3000"
    page.screenshot(path=os.path.join(test_output_dir, "issue8-fee-standard-kept.png"), full_page=True)


def test_issue8_ui_out_of_scope_page_is_the_chinese_404(live_world, page, login, settings, test_output_dir):
    settings.DEBUG = True  # what `make run` used to run with: still no English page listing the URLs
    login("county1_staff")
    response = page.goto(f"/intake/plan/{live_world.county3.pk}/")
    assert response.status == 404
    assert "未找到该页面或记录" in page.content() and "URLconf" not in page.content()
    response = page.goto("/no-such-page/")
    assert response.status == 404 and "未找到该页面或记录" in page.content()
    page.screenshot(path=os.path.join(test_output_dir, "issue8-404.png"))
