"""Browser journey in Chromium (issue 13, notice 八): the county manager checks and submits the county's
申请汇总表, the city manager forwards it to the province, the province sees it and the counties still
missing. Screenshots in test-output/."""

import datetime
import os

import pytest

from applications.models import CountySummary
from applications.services import summaries as services
from tests.factories import valid_id
from tests.factories_lifecycle import make_application, open_calendar

pytestmark = pytest.mark.browser


def _shot(page, test_output_dir, name):
    path = os.path.join(test_output_dir, f"issue13_{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


def test_issue13_county_submits_city_forwards_province_sees(live_world, page, login, test_output_dir):
    world = live_world
    open_calendar(2026)
    make_application(world, to="contract_signed")
    make_application(
        world,
        to="receipt_confirmed",
        student={"name": "王小明", "id_number": valid_id("620123", "20070606")},
        university=world.university4,
    )
    services.public_notice_publish(
        actor=None,
        county=world.county1,
        year=2026,
        place="榆中县学生资助管理中心公告栏",
        starts_on=datetime.date(2026, 10, 12),
        ends_on=datetime.date(2026, 10, 16),
    )
    services.county_summary_generate(actor=world.users.county1_staff, county=world.county1, year=2026)
    page.on("dialog", lambda dialog: dialog.accept())

    # the county manager: dashboard card → the table → 审核并报送市级
    login("county1_manager")
    # the dashboard card: its stretched link covers the card, so a click on the title follows it
    page.get_by_text("2026年度申请汇总表").click(force=True)
    page.wait_for_selector("#summary-table")
    assert "待县级负责人报送" in page.inner_text("body")
    _shot(page, test_output_dir, "1_county_summary")
    page.get_by_role("button", name="审核并报送市级").click()
    page.wait_for_selector(".alert-success, .alert")
    assert "已报送市级" in page.inner_text("body")
    _shot(page, test_output_dir, "2_county_submitted")

    # the city manager: 汇总报送 → 全部报送省中心
    page.context.clear_cookies()
    login("city1_manager")
    page.get_by_role("link", name="汇总报送", exact=True).click()
    row = page.locator("tr[data-county='620123']")
    assert "已报送市级" in row.inner_text()
    _shot(page, test_output_dir, "3_city_overview")
    page.get_by_role("button", name="全部报送省中心").click()
    page.wait_for_selector("text=已将 1 个县的汇总表报送省中心")
    assert "已报送省中心" in page.locator("tr[data-county='620123']").inner_text()
    assert "皋兰县学生资助管理中心" in page.inner_text("body")  # still missing, named in the warning
    _shot(page, test_output_dir, "4_city_forwarded")

    # the province: sees county 1 at the province and the cities/counties still missing
    page.context.clear_cookies()
    login("province_manager")
    page.get_by_role("link", name="汇总报送", exact=True).click()
    missing = page.locator("#summary-missing").inner_text()
    assert "皋兰县学生资助管理中心" in missing and "秦安县学生资助管理中心" in missing
    assert "榆中县学生资助管理中心" not in missing
    assert "已报送省中心" in page.locator("tr[data-county='620123']").inner_text()
    _shot(page, test_output_dir, "5_province_overview")
    page.locator("tr[data-county='620123']").get_by_role("link", name="查看").click()
    page.wait_for_selector("#summary-statement")
    assert "公示情况说明" in page.inner_text("body")
    _shot(page, test_output_dir, "6_province_summary")
    page.get_by_role("link", name="年度进度", exact=True).click()
    page.wait_for_selector("#chart-stages")
    page.locator("#chart-stages summary").click()
    assert page.locator("#chart-stages table").is_visible()
    _shot(page, test_output_dir, "7_province_progress")
    assert CountySummary.objects.get(county=world.county1).status == "forwarded"
