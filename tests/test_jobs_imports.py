"""Issue 9 "One import path": a large pre-application list is imported as a background job — recorded in the
database first, dispatched on commit, idempotent by state, a progress bar polled with htmx (no inline
script), a notification when done; the all-or-nothing rule and the row-level error report unchanged.
Policy: notice 三(六) (the county's pre-application list)."""

import os
import time
import uuid

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from applications.models import PreApplication, PreApplicationImport
from loanportal.celery import app as celery_app
from loanportal.imports import jobs
from loanportal.imports.models import ImportJob, ImportJobStatus
from loanportal.models import Notification
from tests.factories_preapplications import good_row, student_id, upload, workbook_bytes

YEAR = timezone.localdate().year
BROKER = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture(autouse=True)
def _jobs_for_any_size(settings, tmp_path):
    settings.IMPORT_JOB_ROOT = str(tmp_path / "imports")
    settings.IMPORT_JOB_MIN_BYTES = 1  # every upload in these tests is "large"


def _rows(n: int, **bad) -> list:
    rows = [good_row(身份证号=student_id(birth=f"2008{1 + i % 12:02d}{1 + i % 28:02d}")) for i in range(n)]
    for index, values in bad.items():
        rows[int(index)] = good_row(**values)
    return rows


def _post(client, content: bytes):
    return client.post(reverse("preapplication-import"), {"year": YEAR, "file": upload(content)})


def test_issue9_import_job_large_list_runs_as_a_job_with_progress_and_notification(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client, workbook_bytes(_rows(30)))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("preapplication-import-job", args=[job.pk])
    # Recorded first: queued, file saved, nothing imported yet; the page polls the status without a script.
    assert (
        job.status == ImportJobStatus.QUEUED and job.created_by == staff and job.organisation == world.county1
    )
    assert (jobs.import_job_root() / job.file_path).exists()
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every' in page and "<script>" not in page and "onclick" not in page
    assert PreApplication.objects.count() == 0

    for callback in callbacks:  # the dispatch after commit: runs the job (eager)
        callback()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE, job.message
    assert job.total_rows == 30 and job.rows_done == 30 and job.progress == 100
    batch = PreApplicationImport.objects.get(pk=job.batch_id)
    assert batch.succeeded and batch.row_count == 30
    assert PreApplication.objects.filter(batch=batch).count() == 30
    assert (
        Notification.objects.filter(recipient=staff, category="import", title__contains="导入成功").count()
        == 1
    )
    assert not (jobs.import_job_root() / job.file_path).exists()  # the upload is not kept
    status = client.get(reverse("preapplication-import-job-status", args=[job.pk])).content.decode()
    assert "hx-trigger" not in status  # finished: polling stops
    assert reverse("preapplication-import-detail", args=[batch.pk]) in status

    # A redelivered message finds nothing to do: no second batch, no second set of rows.
    assert jobs.import_job_run(pk=job.pk) is None
    assert PreApplicationImport.objects.count() == 1 and PreApplication.objects.count() == 30


def test_issue9_import_job_progress_is_recorded_while_it_runs(
    world, eager, django_capture_on_commit_callbacks
):
    """`progress(done, total)` from the import path lands on the job row (what the bar shows)."""
    seen = []
    from applications.services import preapplications as service

    original = service.pre_application_import

    def spy(**kwargs):
        progress = kwargs["progress"]

        def recording(done, total):
            progress(done, total)
            seen.append(ImportJob.objects.values_list("rows_done", "total_rows").get())

        return original(**{**kwargs, "progress": recording})

    service.pre_application_import = spy
    try:
        with django_capture_on_commit_callbacks(execute=True):
            jobs.import_job_create(
                actor=world.users.county1_staff,
                kind="pre_applications",
                organisation=world.county1,
                year=YEAR,
                file=upload(workbook_bytes(_rows(1500))),
            )
    finally:
        service.pre_application_import = original
    assert (1000, 1500) in seen
    assert ImportJob.objects.get().status == ImportJobStatus.DONE


def test_issue9_import_job_with_a_bad_row_imports_nothing_and_keeps_the_error_report(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    client = client_for(world.users.county1_staff)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, workbook_bytes(_rows(20, **{"7": {"身份证号": "123"}})))
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.REJECTED and "未导入任何学生" in job.message
    batch = PreApplicationImport.objects.get(pk=job.batch_id)
    assert not batch.succeeded and any(e["row"] == 9 for e in batch.errors)  # sheet row 9 (header + 8th row)
    assert PreApplication.objects.count() == 0  # all or nothing
    page = client.get(reverse("preapplication-import-job", args=[job.pk])).content.decode()
    assert reverse("preapplication-import-detail", args=[batch.pk]) in page and "错误报告" in page
    assert client.get(reverse("preapplication-import-errors", args=[batch.pk])).status_code == 200


def test_issue9_import_job_bad_file_is_refused_with_the_checks_message(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    client = client_for(world.users.county1_staff)
    with django_capture_on_commit_callbacks(execute=True):
        # a zip's magic bytes (a file that is no zip at all is refused on the page: no job)
        _post(client, b"PK\x03\x04 not a workbook at all")
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.REJECTED and job.batch_id is None and job.message
    assert PreApplication.objects.count() == 0


def test_issue9_import_job_small_file_stays_synchronous(world, client_for, settings):
    settings.IMPORT_JOB_MIN_BYTES = 10 * 1024 * 1024
    response = _post(client_for(world.users.county1_staff), workbook_bytes(_rows(3)))
    assert response.status_code == 302 and not ImportJob.objects.exists()
    assert PreApplication.objects.count() == 3


def test_issue9_import_job_page_is_the_uploaders_only(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _post(client_for(world.users.county1_staff), workbook_bytes(_rows(2)))
    job = ImportJob.objects.get()
    other = client_for(world.users.county2_staff)
    assert other.get(reverse("preapplication-import-job", args=[job.pk])).status_code == 404
    assert other.get(reverse("preapplication-import-job-status", args=[job.pk])).status_code == 404


def test_issue9_import_job_waits_in_the_database_for_the_sweep(
    world, django_capture_on_commit_callbacks, eager
):
    """Never dispatched (broker down at the time): the sweep dispatches it; run twice, one result."""
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.import_job_create(
            actor=world.users.county1_staff,
            kind="pre_applications",
            organisation=world.county1,
            year=YEAR,
            file=upload(workbook_bytes(_rows(5))),
        )
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timezone.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.import_jobs_sweep() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.import_jobs_sweep() == 0
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE and PreApplication.objects.count() == 5


@pytest.mark.worker
@pytest.mark.skipif(
    not BROKER.startswith("redis://"), reason="needs a real broker: CELERY_BROKER_URL=redis://…"
)
def test_issue9_import_job_through_a_real_worker(live_world, client_for, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    queue = f"jobs-import-{uuid.uuid4().hex[:8]}"
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            response = _post(client_for(live_world.users.county1_staff), workbook_bytes(_rows(50)))
            assert response.status_code == 302
            job = ImportJob.objects.get()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not ImportJob.objects.get(pk=job.pk).finished:
                time.sleep(0.1)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE, job.message
    assert PreApplication.objects.count() == 50 and PreApplicationImport.objects.count() == 1
