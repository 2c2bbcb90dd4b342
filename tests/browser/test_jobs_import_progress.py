"""Issue 9: a large pre-application list imported as a background job — the progress bar updates by htmx
polling under the strict CSP (no inline script, no violation) and shows the outcome when the job is done."""

import os
import uuid

import pytest

from loanportal.imports import jobs
from loanportal.imports.models import ImportJob
from tests.factories_preapplications import good_row, student_id, workbook_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def own_queue():
    """The job message goes to a queue of its own (deleted afterwards); no worker consumes it here."""
    from loanportal.celery import app

    previous, queue = app.conf.task_default_queue, f"jobs-browser-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    yield
    app.conf.task_default_queue = previous
    if not app.conf.task_always_eager:
        with app.connection_for_write() as connection:
            connection.default_channel.client.delete(queue)  # the redis list holding its messages


def test_issue9_import_job_progress_bar_polls_until_done(
    live_world, page, login, settings, tmp_path, test_output_dir, own_queue
):
    settings.IMPORT_JOB_MIN_BYTES = 1
    settings.IMPORT_JOB_ROOT = str(tmp_path / "imports")
    settings.EXPORT_PROGRESS_REFRESH_SECONDS = 1
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login("county1_staff")
    rows = [good_row(身份证号=student_id(birth=f"2008{1 + i % 12:02d}{1 + i % 28:02d}")) for i in range(40)]
    upload = tmp_path / "大名单.xlsx"
    upload.write_bytes(workbook_bytes(rows))
    page.goto("/pre-applications/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url("**/pre-applications/import/jobs/*/")
    page.locator("#import-job-progress").wait_for()
    page.screenshot(path=os.path.join(test_output_dir, "import-job-queued.png"), full_page=True)
    job = ImportJob.objects.get()
    if not job.finished:  # no worker in this test: run the job here, the page's polling shows the outcome
        jobs.import_job_run(pk=job.pk)
    page.get_by_text("导入成功：40 名学生").wait_for()
    assert page.locator("#import-job-progress").get_attribute("value") == "100"
    assert page.locator("#import-job-status[hx-trigger]").count() == 0  # polling stopped
    page.screenshot(path=os.path.join(test_output_dir, "import-job-done.png"), full_page=True)
    page.locator("#import-job-batch").click()
    page.wait_for_url("**/pre-applications/imports/*/")
    assert violations == []
