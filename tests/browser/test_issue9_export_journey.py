"""Issue 9 in the browser: a clerk exports the pre-application list as the filters show it, states the purpose;
the county manager approves; the progress bar polls (htmx, strict CSP, no inline script) until the file is
ready; the clerk downloads a masked, watermarked .xlsx. Nothing before approval."""

import os

import pytest
from openpyxl import load_workbook

from applications.models import PreApplication
from loanportal.exports import services
from loanportal.exports.models import ExportRequest
from tests.factories import valid_id

pytestmark = pytest.mark.browser

PURPOSE = "报送市资助中心核对首贷名单"


@pytest.fixture
def listed(live_world):
    staff = live_world.users.county1_staff
    for index, basis in enumerate(["registered_poor", "registered_poor", "national_grant"]):
        PreApplication.objects.create(
            year=2026,
            county=live_world.county1,
            name=f"王{index}明",
            id_number=valid_id(live_world.county1.code, f"2008010{index + 1}"),
            basis=basis,
            high_school="榆中县第一中学",
            phone=f"1380000123{index}",
            source="manual",
            created_by=staff,
        )
    return live_world


def test_issue9_clerk_requests_manager_approves_clerk_downloads(
    listed, page, login, settings, tmp_path, test_output_dir
):
    settings.EXPORT_ROOT = str(tmp_path / "exports")
    settings.EXPORT_PROGRESS_REFRESH_SECONDS = 1
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    login("county1_staff")
    page.goto("/pre-applications/?basis=registered_poor")
    page.locator("#export-pre_applications").click()
    page.wait_for_url("**/exports/new/pre_applications/*")
    assert "建档立卡" in page.content()  # the filter, described in Chinese
    page.get_by_role("button", name="提交导出申请").click()
    assert "请" in page.locator("#export-request-form").inner_text()  # the purpose is required
    page.fill("#export-request-form textarea, #export-request-form input[name=purpose]", PURPOSE)
    page.get_by_role("button", name="提交导出申请").click()
    page.wait_for_url("**/exports/*/")
    page.locator("#export-status").get_by_text("等待负责人审批").wait_for()
    assert page.locator("#export-download").count() == 0
    export = ExportRequest.objects.get()
    page.screenshot(path=os.path.join(test_output_dir, "export-requested.png"), full_page=True)

    page.context.clear_cookies()
    login("county1_manager")
    page.goto(f"/exports/{export.pk}/")
    page.get_by_role("button", name="批准", exact=True).click()
    page.wait_for_url(f"**/exports/{export.pk}/")

    page.context.clear_cookies()
    login("county1_staff")
    page.goto(f"/exports/{export.pk}/")
    export.refresh_from_db()
    if export.status != "ready":  # no worker here: generate it now; the page's polling shows the outcome
        services.export_generate(pk=export.pk)
    page.locator("#export-download").wait_for()
    assert page.locator("#export-progress").get_attribute("value") == "100"
    page.screenshot(path=os.path.join(test_output_dir, "export-ready.png"), full_page=True)
    with page.expect_download() as caught:
        page.locator("#export-download").click()
    with open(caught.value.path(), "rb") as downloaded:  # a temporary name without .xlsx
        book = load_workbook(downloaded)
    data = book.worksheets[0]
    cells = [str(c.value) for row in data.iter_rows() for c in row if c.value is not None]
    assert sum("王" in c for c in cells) == 2, "exactly the filtered rows (two 建档立卡 students)"
    assert not any(len(c) == 18 and c[:17].isdigit() for c in cells), "ID numbers masked"
    hidden = [s for s in book.worksheets if s.sheet_state == "hidden"]
    assert hidden and PURPOSE in str([c.value for row in hidden[0].iter_rows() for c in row])
    assert violations == []
