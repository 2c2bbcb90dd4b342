"""Issue 9 protection check 8 (broker down): with Redis really stopped, pages and the API keep working; an
export approved meanwhile is recorded in the database first and picked up by the sweep when Redis is back —
nothing lost, nothing done twice.

A redis-server of our own (a free port, no persistence) is the broker and the cache for these tests; it is
stopped (`shutdown nosave`) and started again inside the test, and a real Celery worker thread consumes from
it once it is back. Policy: notice 二十一 (exports approved before generation).
"""

import datetime
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from loanportal.celery import app
from loanportal.exports import services
from loanportal.exports.models import ExportRequest, ExportStatus
from loanportal.models import AuditEvent, Notification
from tests.factories_lifecycle import make_application

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server on the PATH"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    """A redis-server of our own that the test can really stop and start again (same port)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() == "PONG"

    def stop(self):
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)
        deadline = time.monotonic() + 10
        while self.ping() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.ping(), "redis-server still answers"


@pytest.fixture
def redis_broker(settings, tmp_path, monkeypatch):
    """Our own Redis as the Celery broker and the Django cache; stopped at the end whatever happens."""
    server = RedisProcess()
    server.start()
    settings.EXPORT_ROOT = str(tmp_path / "exports")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = server.url
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)  # Celery reads the variable before its setting
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = f"jobs-test-{uuid.uuid4().hex[:8]}"
    reset_pools()
    assert app.connection_for_write().as_uri().endswith(f":{server.port}/0")
    try:
        yield server
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous
        app.conf.task_default_queue = previous_queue
        monkeypatch.undo()
        reset_pools()
        server.stop()


def reset_pools():
    """Forget the connection and producer pools made for the previous broker URL."""
    app._pool = None
    app.amqp._producer_pool = None


def start_worker_on(queue: str):
    from celery.contrib.testing.worker import start_worker

    return start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30)


def wait_for(predicate, *, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_issue9_check8_broker_down_pages_and_api_work_and_the_export_waits_in_the_database(
    live_world, redis_broker, client_for, api_for, monkeypatch
):
    world = live_world
    staff, manager = world.users.county1_staff, world.users.county1_manager
    make_application(world)
    queue = app.conf.task_default_queue
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)

    export = services.export_request_create(
        actor=staff, kind="applications", params={}, purpose="报送市资助中心核对受理数据"
    )

    redis_broker.stop()  # --- Redis really down from here ---------------------------------------------
    client = client_for(staff)
    for url in (
        reverse("export-list"),
        reverse("export-detail", args=[export.pk]),
        reverse("export-status", args=[export.pk]),
        reverse("export-progress"),
    ):
        assert client.get(url).status_code == 200, url
    assert api_for(staff).get("/api/v1/exports/").status_code == 200

    started = time.monotonic()
    response = api_for(manager).post(f"/api/v1/exports/{export.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 15  # the failed publish is bounded, the request is not held
    export.refresh_from_db()
    assert export.status == ExportStatus.APPROVED  # recorded first, waiting for a worker
    assert Notification.objects.filter(recipient=staff, title__startswith="导出已批准").exists()
    # An aggregate table requested while the broker is down is approved and waits as well.
    aggregate = services.export_request_create(actor=staff, kind="county_progress", params={"year": "2026"})
    aggregate.refresh_from_db()
    assert aggregate.status == ExportStatus.APPROVED
    # The sweep run while Redis is down loses nothing either.
    ExportRequest.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=5))
    assert services.exports_sweep()["dispatched"] == 2
    assert set(ExportRequest.objects.values_list("status", flat=True)) == {ExportStatus.APPROVED}

    redis_broker.start()  # --- Redis back ----------------------------------------------------------------
    # Two sweeps before any worker consumes: two messages for each request, still one result each.
    ExportRequest.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=5))
    assert services.exports_sweep()["dispatched"] == 2
    assert services.exports_sweep()["dispatched"] == 2
    with start_worker_on(queue):
        wait_for(
            lambda: set(ExportRequest.objects.values_list("status", flat=True)) == {ExportStatus.READY},
            what="both exports ready",
        )
        time.sleep(1)  # let the duplicate messages reach the worker too
    for done in (export, aggregate):
        done.refresh_from_db()
        events = AuditEvent.objects.filter(object_type="loanportal.exportrequest", object_pk=str(done.pk))
        assert events.filter(action="export.ready").count() == 1
        assert events.filter(action="export.running").count() == 1
        assert (
            Notification.objects.filter(
                title__startswith="导出文件已生成", url__endswith=f"/{done.pk}/"
            ).count()
            == 1
        )
    assert sorted(p.name for p in services.export_root().iterdir()) == sorted(
        f"export-{e.pk}.xlsx" for e in (export, aggregate)
    )
    assert services.exports_sweep()["dispatched"] == 0
    assert client_for(staff).get(reverse("export-download", args=[export.pk])).status_code == 200


def test_issue9_check8_broker_down_import_job_notification_pages_and_api_lists(
    live_world, redis_broker, client_for, api_for, monkeypatch, settings, tmp_path
):
    """Redis really stopped: a large pre-application list is still accepted as a job (recorded in the database
    with its file, no message), a notification is still sent, pages that read the cache degrade to the
    database, the API lists answer and the token endpoint still counts its throttle. Redis back: the sweep
    dispatches the job (twice, before a worker runs), it runs exactly once, one batch, one notification."""
    from rest_framework.test import APIClient

    from applications.models import PreApplication, PreApplicationImport
    from applications.services import lifecycle as lifecycle_services
    from loanportal.imports import jobs
    from loanportal.imports.models import ImportJob, ImportJobStatus
    from tests.factories import TEST_PASSWORD
    from tests.factories_preapplications import good_row, student_id, upload, workbook_bytes

    world = live_world
    staff, manager = world.users.county1_staff, world.users.county1_manager
    settings.IMPORT_JOB_ROOT = str(tmp_path / "imports")
    settings.IMPORT_JOB_MIN_BYTES = 1  # every upload here is "large": a background job
    settings.DASHBOARD_CARD_SECONDS = 15  # the dashboard's figures really go through the cache
    signed = make_application(world, to="contract_signed")
    queue = app.conf.task_default_queue
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    client = client_for(staff)
    assert client.get(reverse("dashboard")).status_code == 200  # cached while Redis is up

    redis_broker.stop()  # --- Redis really down from here ---------------------------------------------
    year = timezone.localdate().year
    rows = [good_row(身份证号=student_id(birth=f"2008{1 + i % 12:02d}{1 + i:02d}")) for i in range(12)]
    started = time.monotonic()
    response = client.post(
        reverse("preapplication-import"), {"year": year, "file": upload(workbook_bytes(rows))}
    )
    assert time.monotonic() - started < 15  # the failed publish is bounded, the upload is not held
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("preapplication-import-job", args=[job.pk])
    assert job.status == ImportJobStatus.QUEUED and (jobs.import_job_root() / job.file_path).exists()
    assert PreApplication.objects.count() == 0  # recorded first, nothing imported yet
    for url in (
        reverse("dashboard"),
        reverse("application-list"),
        reverse("application-detail", args=[signed.pk]),
        reverse("preapplication-list"),
        reverse("preapplication-import"),
        reverse("preapplication-import-job", args=[job.pk]),
        reverse("preapplication-import-job-status", args=[job.pk]),
        reverse("notification-list"),
        reverse("export-progress"),
    ):
        assert client.get(url).status_code == 200, url
    api = api_for(staff)
    for path in (
        "/api/v1/applications/",
        "/api/v1/pre-applications/",
        "/api/v1/students/",
        "/api/v1/organisations/",
        "/api/v1/appointments/",
        "/api/v1/exports/",
    ):
        assert api.get(path).status_code == 200, path
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": staff.username, "password": TEST_PASSWORD}, format="json"
    )
    assert token.status_code in (200, 201), token.content  # the throttle counts in process memory meanwhile

    # A notification while Redis is down: a correction waits for the county manager's approval.
    lifecycle_services.correction_request(
        actor=staff, application=signed, changes={"major": "数学与应用数学"}, reason="专业录错"
    )
    pending = Notification.objects.get(recipient=manager, category="correction")
    manager_page = client_for(manager).get(reverse("notification-list")).content.decode()
    assert pending.title in manager_page
    assert client_for(manager).post(reverse("notification-read", args=[pending.pk])).status_code in (200, 302)

    # The sweep while Redis is down loses nothing: the job stays queued with its file.
    ImportJob.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=5))
    assert jobs.import_jobs_sweep() == 1
    job.refresh_from_db()
    assert job.status == ImportJobStatus.QUEUED and (jobs.import_job_root() / job.file_path).exists()

    redis_broker.start()  # --- Redis back ----------------------------------------------------------------
    ImportJob.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=5))
    assert jobs.import_jobs_sweep() == 1
    assert jobs.import_jobs_sweep() == 1  # a second message for the same job before any worker runs
    with start_worker_on(queue):
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished, what="the import job finished")
        time.sleep(1)  # let the duplicate message reach the worker too
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE, job.message
    assert PreApplicationImport.objects.count() == 1 and PreApplication.objects.count() == len(rows)
    assert Notification.objects.filter(recipient=staff, category="import").count() == 1
    assert not (jobs.import_job_root() / job.file_path).exists()
    assert jobs.import_jobs_sweep() == 0
    assert Notification.objects.filter(recipient=manager, category="correction").count() == 1
