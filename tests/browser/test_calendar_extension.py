"""Notice 八 in the browser: the province manager extends one county's intake window on /calendar/, and
that county's clerk sees the new date on the calendar and on the dashboard."""

import os

import pytest

from deadlines.services import deadline_for, loan_year_ensure
from loanportal.models import AuditEvent

pytestmark = pytest.mark.browser


def _extend(page, key_date_label, organisation, end_date, reason):
    form = page.locator("#extension-form")
    form.locator("#id_key_date").select_option(label=key_date_label)
    form.locator("#id_organisation").select_option(label=organisation)
    form.locator("#id_end_date").fill(end_date)
    form.locator("#id_reason").fill(reason)
    form.get_by_role("button", name="确认延期").click()
    page.wait_for_load_state()


def test_province_extends_county_intake_window_and_county_sees_it_notice_8(
    live_world, page, login, test_output_dir, chromium, live_server
):
    """Notice 八 (7月15日至9月20日 现场受理): extension for one county, seen by that county only."""
    loan_year_ensure(year=2026)
    county = live_world.county1
    login("province_manager")
    page.get_by_role("link", name="工作日历", exact=True).click()
    assert page.locator("h1").inner_text().startswith("工作日历")
    assert page.locator("#calendar-table").get_by_text("7月15日至9月20日").is_visible()
    _extend(
        page,
        "现场受理期（县级学生资助管理中心，9月20日）",
        f"{county.name}（{county.code}）",
        "2026-09-28",
        "暴雨导致受理点停电三天",
    )
    assert page.get_by_text(f"已将{county.name}的现场受理期延期至2026年9月28日").is_visible()
    _extend(
        page,
        "信贷材料归档（县级学生资助管理中心，3月31日）",
        f"{county.name}（{county.code}）",
        "2027-04-15",
        "档案室搬迁",
    )
    extensions = page.locator("#extensions")
    assert extensions.get_by_text("暴雨导致受理点停电三天").is_visible()
    page.screenshot(path=os.path.join(test_output_dir, "calendar-province-extended.png"), full_page=True)
    assert deadline_for("intake_window", county, year=2026).isoformat() == "2026-09-28"
    assert AuditEvent.objects.filter(action="key_date.extend", organisation=county).count() == 2

    # The county's clerk, in a fresh browser session.
    context = chromium.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    clerk = context.new_page()
    from tests.factories import TEST_PASSWORD

    clerk.goto("/accounts/login/")
    clerk.fill("#id_username", "county1_staff")
    clerk.fill("#id_password", TEST_PASSWORD)
    clerk.click("button[type=submit]")
    clerk.wait_for_url(lambda url: "/accounts/login/" not in url)
    card = clerk.locator("#calendar-obligations")
    assert "2027年4月15日" in card.inner_text() and "已延期" in card.inner_text()
    clerk.screenshot(path=os.path.join(test_output_dir, "calendar-county-dashboard.png"), full_page=True)

    clerk.get_by_role("link", name="工作日历", exact=True).click()
    intake_row = clerk.locator("#calendar-table tr[data-code=intake_window]")
    assert "9月28日" in intake_row.locator(".my-deadline").inner_text()
    assert "已延期" in intake_row.inner_text() and "原定9月20日" in intake_row.inner_text()
    assert "暴雨导致受理点停电三天" in clerk.locator("#extensions").inner_text()
    clerk.screenshot(path=os.path.join(test_output_dir, "calendar-county-extended.png"), full_page=True)

    # Another county does not see it.
    context.close()
    other = chromium.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    other.goto("/accounts/login/")
    other.fill("#id_username", "county3_staff")
    other.fill("#id_password", TEST_PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(lambda url: "/accounts/login/" not in url)
    other.goto("/calendar/")
    assert "9月28日" not in other.locator("#calendar-table").inner_text()
    assert "暴雨" not in other.content()
    other.context.close()
