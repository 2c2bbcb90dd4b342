"""Browser journeys of county intake (notice 四(九)–(十一)) in Chromium: a clerk books a caller, checks the
student in and calls them to a window (the window screen shows the number); a city manager opens the
warning chart of a red county."""

import datetime
import os

import pytest
from django.utils import timezone

from applications.models import Appointment
from applications.services import queue as services
from applications.services import queue_warnings
from tests.factories import valid_id
from tests.factories_intake import make_site, person

pytestmark = pytest.mark.browser


@pytest.fixture
def morning(monkeypatch):
    moment = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(services.clock, "now", lambda: moment)
    return moment


def test_clerk_books_checks_in_and_calls_to_a_window(live_world, morning, page, login, test_output_dir):
    county = live_world.county1
    site = make_site(
        county,
        name="榆中县资助中心受理大厅",
        windows=3,
        opens=datetime.time(8, 30),
        closes=datetime.time(12, 0),
    )
    services.slots_generate(
        actor=None, site=site, start=morning.date(), end=morning.date() + datetime.timedelta(days=3)
    )
    # some students already in the queue today
    for n in range(3):
        a = services.appointment_book(
            actor=None, slot=site.slots.order_by("date", "starts_at")[0], **person(county, n)
        )
        if n < 2:
            services.appointment_check_in(actor=None, appointment=a)
    services.appointment_call_next(actor=None, window=site.windows.get(number=2))

    login("county1_staff")
    page.get_by_role("link", name="预约与叫号").click()
    page.locator("#booking").wait_for()
    slot_value = page.locator("#id_slot option").nth(2).get_attribute("value")
    page.select_option("#id_slot", slot_value)
    id_number = valid_id(county.code, "20060315")
    page.fill("#id_name", "王晓燕")
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", "13912345678")
    page.get_by_role("button", name="确认预约").click()
    page.get_by_text("已为 王晓燕 预约").wait_for()
    assert id_number not in page.content()
    page.screenshot(path=os.path.join(test_output_dir, "intake-queue-booked.png"), full_page=True)

    appointment = Appointment.objects.get(id_number=id_number)
    row = page.locator(f'tr[data-appointment="{appointment.pk}"]')
    row.get_by_role("button", name="签到").click()
    page.get_by_text("王晓燕 签到成功，排队号 003").wait_for()  # 001 is at window 2, 002 waits

    page.get_by_role("button", name="1号窗口 · 呼叫下一位").click()
    page.get_by_text("请 002 号").wait_for()  # the lowest waiting number goes first
    page.get_by_role("button", name="3号窗口 · 呼叫下一位").click()
    page.get_by_text("请 003 号 王晓燕 到 3 号窗口办理").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == "called" and appointment.window.number == 3
    row = page.locator(f'tr[data-appointment="{appointment.pk}"]')
    assert (
        row.get_by_role("link", name="办理贷款").get_attribute("href")
        == f"/applications/new/?appointment={appointment.pk}"
    )
    page.screenshot(path=os.path.join(test_output_dir, "intake-queue-called.png"), full_page=True)

    page.goto(f"/intake/sites/{site.pk}/screen/")
    window3 = page.locator('.win[data-window="3"]')
    assert appointment.queue_number == 3
    assert "003" in window3.inner_text() and "王*燕" in window3.inner_text()
    assert "王晓燕" not in page.content() and id_number not in page.content()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=os.path.join(test_output_dir, "intake-window-screen.png"))
    # the board refreshes by itself (htmx polling): serve at window 3, the screen shows it idle
    services.appointment_serve(actor=None, appointment=appointment)
    page.locator('.win[data-window="3"].idle').wait_for(timeout=12_000)


def test_city_manager_opens_the_warning_chart_of_a_red_county(
    live_world, morning, page, login, test_output_dir
):
    county = live_world.county1
    county.expected_applicants = 6200
    county.save()
    site = make_site(county, windows=2)
    today = morning.date()
    services.slots_generate(actor=None, site=site, start=today, end=today + datetime.timedelta(days=6))
    n = 0
    for slot in site.slots.order_by("date", "starts_at")[:26]:
        for _ in range(slot.capacity):
            services.appointment_book(actor=None, slot=slot, **person(county, n))
            n += 1
    snapshot = queue_warnings.queue_snapshot_compute(county=county, on=today)
    assert snapshot.level == "red"
    queue_warnings.queue_snapshot_compute(county=live_world.county2, on=today)

    login("city1_manager")
    page.get_by_role("link", name="受理预警").click()
    row = page.locator(f'tr[data-county="{county.pk}"]')
    assert "红色预警" in row.inner_text() and "重点监督" in row.inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "intake-city-warnings.png"), full_page=True)
    row.get_by_role("link", name=county.name).click()
    page.locator("#warning-reasons").wait_for()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('chart-ahead') && Chart.getChart('chart-served')"
    )
    assert "预约号将满" in page.locator("#warning-reasons").inner_text()
    page.screenshot(path=os.path.join(test_output_dir, "intake-county-warning-chart.png"), full_page=True)


def test_queue_page_refreshes_itself_when_a_colleague_checks_someone_in(
    live_world, morning, page, login, settings
):
    """notice 四(十一) (逐日关注排队人数): the clerk's queue page shows a check-in made at another desk without
    reloading; the booking form on the same page is left as it was."""
    settings.INTAKE_QUEUE_REFRESH_SECONDS = 1
    county = live_world.county1
    site = make_site(county, windows=2, opens=datetime.time(8, 30), closes=datetime.time(12, 0))
    services.slots_generate(actor=None, site=site, start=morning.date(), end=morning.date())
    appointment = services.appointment_book(
        actor=None, slot=site.slots.order_by("starts_at")[0], **person(county, 7)
    )
    login("county1_staff")
    page.goto("/intake/queue/")
    page.fill("#id_name", "正在输入")
    row = page.locator(f'tr[data-appointment="{appointment.pk}"]')
    assert "已签到" not in row.inner_text()
    services.appointment_check_in(actor=None, appointment=appointment)  # at another desk
    page.wait_for_function(
        f"() => document.querySelector('tr[data-appointment=\"{appointment.pk}\"]').innerText.includes('已签到')",
        timeout=10_000,
    )
    assert page.locator("#id_name").input_value() == "正在输入"
