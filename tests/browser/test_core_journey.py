"""A county clerk logs in, sees the dashboard in Chinese, opens a student with a masked ID."""

import os

import pytest

from loanportal.rules import mask_id_number

pytestmark = pytest.mark.browser


def test_county_staff_dashboard_and_masked_student(live_world, page, login, test_output_dir):
    student = live_world.students.c1_u1
    login("county1_staff")
    assert page.locator("h1").inner_text().startswith("榆中县学生资助管理中心")
    assert page.get_by_text("本县生源地学生").is_visible()
    page.screenshot(path=os.path.join(test_output_dir, "core-dashboard.png"), full_page=True)

    page.get_by_role("link", name="学生", exact=True).click()
    page.get_by_role("link", name=student.name).click()
    masked = page.locator("#id-number").inner_text()
    assert masked == mask_id_number(student.id_number)
    assert student.id_number not in page.content()
    page.screenshot(path=os.path.join(test_output_dir, "core-student-masked.png"), full_page=True)

    # revealing takes a reason and shows the full number in place
    page.get_by_role("button", name="查看完整号码").first.click()
    page.locator("#reveal-id input[name=reason]").fill("核对身份")
    page.locator("#reveal-id button[type=submit]").click()
    page.locator("#id-number .revealed").wait_for()
    assert page.locator("#id-number").inner_text() == student.id_number
