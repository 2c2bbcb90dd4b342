"""A county clerk downloads the template, imports a list with a bad row (report), fixes it, imports, and
adds a student by hand (notice 三(六)); a city manager reads the list."""

import os

import pytest

from tests.factories_preapplications import good_row, student_id, workbook_bytes

pytestmark = pytest.mark.browser


def test_county_clerk_imports_a_list_and_adds_a_student(live_world, page, login, test_output_dir, tmp_path):
    shot = lambda name: page.screenshot(path=os.path.join(test_output_dir, name), full_page=True)  # noqa: E731
    login("county1_staff")
    page.get_by_role("link", name="预申请名单", exact=True).click()
    page.wait_for_url("**/pre-applications/")
    shot("preapplications-list-empty.png")

    page.get_by_role("link", name="导入名单").first.click()
    with page.expect_download() as download:
        page.locator("#template-link").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    shot("preapplications-import-form.png")

    rows = [
        good_row(姓名=f"学生{i}", 高中学校="榆中县第一中学" if i % 2 else "榆中县第二中学") for i in range(12)
    ]
    bad = rows + [good_row("620522", 姓名="外县生"), good_row(预申请依据="低收入", 姓名="错依据")]
    bad_file = tmp_path / "一中名单.xlsx"
    bad_file.write_bytes(workbook_bytes(bad))
    page.set_input_files("input[name=file]", str(bad_file))
    page.get_by_role("button", name="上传并导入").click()
    page.locator("#error-report").wait_for()
    report = page.locator("#error-report").inner_text()
    assert "不是本县" in report and "不在六类范围内" in report
    shot("preapplications-import-report.png")

    good_file = tmp_path / "一中名单-改.xlsx"
    good_file.write_bytes(workbook_bytes(rows))
    page.get_by_role("link", name="修改后重新导入").click()
    page.set_input_files("input[name=file]", str(good_file))
    page.get_by_role("button", name="上传并导入").click()
    page.get_by_text("导入成功：12 名学生").wait_for()
    shot("preapplications-import-success.png")

    page.get_by_role("link", name="预申请名单", exact=True).click()
    page.get_by_role("link", name="现场补录").first.click()
    page.fill("#id_name", "陈九")
    page.fill("#id_id_number", student_id())
    page.select_option("#id_basis", "orphan_disabled")
    page.fill("#id_high_school", "榆中县第一中学")
    page.fill("#id_note", "民政部门孤儿证明")
    page.get_by_role("button", name="完成预申请").click()
    page.get_by_text("已为 陈九 完成预申请").wait_for()
    shot("preapplications-detail.png")

    page.goto("/pre-applications/?high_school=榆中县第一中学")
    shot("preapplications-list-filtered.png")
    assert page.locator("#preapplication-table tbody tr").count() == 7

    page.goto("/")
    shot("preapplications-dashboard.png")
    assert page.get_by_text("已预申请（尚未受理）").is_visible()
