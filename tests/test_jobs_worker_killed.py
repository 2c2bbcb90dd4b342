"""Issue 9 protection check 9: a Celery worker killed (`kill -9`) in the middle of an export → the job runs
again and the result exists exactly once (one file, one ready state, one audit row and one notification for
completion). Policy: notice 二十一 (every export traceable: row count and SHA-256 audited once).

Real worker subprocesses (tests/jobs_worker_main.py) consume from a redis-server of our own; the job pauses
after its first row on its first attempt (a hook in that script only) and writes a marker with the pid of
the process running it, so the test kills it at a known point.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from loanportal.exports import services
from loanportal.exports.models import ExportRequest, ExportStatus
from loanportal.models import AuditEvent, Notification
from tests.factories import valid_id
from tests.factories_lifecycle import make_application
from tests.test_jobs_broker import RedisProcess, redis_broker, wait_for  # noqa: F401  (fixture)

pytestmark = [pytest.mark.worker]

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    def __init__(self, broker: RedisProcess, queue: str, tmp_path: Path, pause_at: int = 1):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "loanportal.settings",
            "PYTHONPATH": str(ROOT),  # this checkout's code, not the one installed in the virtualenv
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker.url,
            "EXPORT_ROOT": str(settings.EXPORT_ROOT),
            "IMPORT_JOB_ROOT": str(settings.IMPORT_JOB_ROOT),
            "JOBS_TEST_PAUSE_AT": str(pause_at),
            "JOBS_TEST_MARKER": str(tmp_path / "paused.pid"),
        }
        self.queue, self.tmp_path, self.processes = queue, tmp_path, []
        self.marker = Path(self.env["JOBS_TEST_MARKER"])

    def start(self, pool: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115
        args = [sys.executable, str(ROOT / "tests" / "jobs_worker_main.py"), f"--pool={pool}", "-c", "1"]
        args += [
            "-Q",
            self.queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ]
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def paused_pid(self) -> int:
        wait_for(
            lambda: self.marker.exists() and self.marker.read_text(), what="the job to pause", timeout=90
        )
        return int(self.marker.read_text())

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def workers(redis_broker, tmp_path, monkeypatch, settings, request):  # noqa: F811
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    settings.IMPORT_JOB_ROOT = str(tmp_path / "imports")
    from loanportal.celery import app

    pause_at = getattr(request, "param", 1)
    pool = Workers(redis_broker, app.conf.task_default_queue, tmp_path, pause_at=pause_at)
    yield pool
    pool.stop_all()


def _approved_export(world, django_capture_on_commit_callbacks):
    make_application(world)
    make_application(
        world,
        student={"name": "第二名", "id_number": valid_id(world.county1.code, "20070202")},
        co_borrower={"id_number": valid_id(world.county1.code, "19710101")},
    )
    export = services.export_request_create(
        actor=world.users.county1_staff, kind="applications", params={}, purpose="报送市资助中心核对受理数据"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(actor=world.users.county1_manager, export=export)
    return export


def _assert_exactly_once(export: ExportRequest):
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.row_count == 2 and export.rows_done == 2
    events = AuditEvent.objects.filter(object_type="loanportal.exportrequest", object_pk=str(export.pk))
    assert events.filter(action="export.running").count() == 2  # the killed attempt and the one that finished
    ready = events.filter(action="export.ready")
    assert ready.count() == 1 and ready.get().new["sha256"] == export.sha256
    assert Notification.objects.filter(title__startswith="导出文件已生成").count() == 1
    files = sorted(p.name for p in services.export_root().iterdir())
    assert files == [f"export-{export.pk}.xlsx"]  # no second file, no dead worker's .part left
    path = services.export_root() / files[0]
    assert services._sha256(path)[0] == export.sha256


def _ready(export) -> bool:
    return ExportRequest.objects.get(pk=export.pk).status == ExportStatus.READY


def test_issue9_check9_worker_child_killed_mid_export_runs_again_once(
    live_world, workers, django_capture_on_commit_callbacks
):
    """Prefork pool: the child running the export is killed with SIGKILL after its first row; the message was
    not acknowledged (acks_late) and is rejected back to the queue (reject_on_worker_lost); the next child
    takes the job over at once (the dead child's advisory lock went with its connection)."""
    workers.start("prefork")
    export = _approved_export(live_world, django_capture_on_commit_callbacks)
    child = workers.paused_pid()
    running = ExportRequest.objects.get(pk=export.pk)
    assert running.status == ExportStatus.RUNNING and running.rows_done == 1
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: _ready(export), what="the export to be generated again", timeout=90)
    time.sleep(1)
    assert services.exports_sweep()["dispatched"] == 0
    _assert_exactly_once(export)


def test_issue9_check9_whole_worker_killed_mid_export_the_sweep_runs_it_once(
    live_world, workers, django_capture_on_commit_callbacks
):
    """Solo pool: the whole worker is killed with SIGKILL; the sweep sees a running job whose worker holds no
    lock and dispatches it again; a new worker generates it, once — a duplicate message does nothing."""
    first = workers.start("solo")
    export = _approved_export(live_world, django_capture_on_commit_callbacks)
    assert workers.paused_pid() == first.pid
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # progress was recent: only the released lock tells the job is orphaned
    assert ExportRequest.objects.get(pk=export.pk).updated_at > timezone.now() - datetime.timedelta(minutes=1)
    assert services.exports_sweep()["dispatched"] == 1
    assert services.exports_sweep()["dispatched"] == 1  # a duplicate message: still one result
    workers.start("solo")
    wait_for(lambda: _ready(export), what="the export to be generated again", timeout=90)
    time.sleep(2)
    assert services.exports_sweep()["dispatched"] == 0
    _assert_exactly_once(export)


@pytest.mark.parametrize("workers", [1000], indirect=True)
def test_issue9_check9_worker_killed_mid_import_runs_again_with_one_set_of_rows(
    live_world, workers, django_capture_on_commit_callbacks
):
    """An import job's worker child killed after 1,000 of 1,500 rows were checked: the requeued message runs
    the import again from the saved file; one batch, 1,500 rows, one notification; the file is gone after."""
    from applications.models import PreApplication, PreApplicationImport
    from loanportal.imports import jobs
    from loanportal.imports.models import ImportJob, ImportJobStatus
    from tests.factories_preapplications import good_row, student_id, upload, workbook_bytes

    rows = [good_row(身份证号=student_id(birth=f"2008{1 + i % 12:02d}{1 + i % 28:02d}")) for i in range(1500)]
    workers.start("prefork")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.import_job_create(
            actor=live_world.users.county1_staff,
            kind="pre_applications",
            organisation=live_world.county1,
            year=timezone.localdate().year,
            file=upload(workbook_bytes(rows)),
        )
    child = workers.paused_pid()
    assert ImportJob.objects.get(pk=job.pk).rows_done == 1000
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished, what="the import to run again", timeout=120)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE, job.message
    assert PreApplicationImport.objects.count() == 1 and PreApplication.objects.count() == 1500
    assert Notification.objects.filter(category="import").count() == 1
    assert not list(jobs.import_job_root().iterdir())
    assert jobs.import_jobs_sweep() == 0


@pytest.mark.parametrize("workers", [1000], indirect=True)
def test_issue9_check9_whole_worker_killed_mid_import_the_sweep_runs_it_once(
    live_world, workers, django_capture_on_commit_callbacks
):
    """Solo pool: the whole worker is killed with SIGKILL after 1,000 of 1,500 rows were checked (nothing is
    requeued by the broker: the message was taken by the dead process); the sweep sees a running job whose
    worker holds no lock and dispatches it again — twice, as a duplicate message would; a new worker imports
    the list once: one batch, 1,500 rows, one notification, the saved file gone."""
    from applications.models import PreApplication, PreApplicationImport
    from loanportal.imports import jobs
    from loanportal.imports.models import ImportJob, ImportJobStatus
    from tests.factories_preapplications import good_row, student_id, upload, workbook_bytes

    rows = [good_row(身份证号=student_id(birth=f"2008{1 + i % 12:02d}{1 + i % 28:02d}")) for i in range(1500)]
    first = workers.start("solo")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.import_job_create(
            actor=live_world.users.county1_staff,
            kind="pre_applications",
            organisation=live_world.county1,
            year=timezone.localdate().year,
            file=upload(workbook_bytes(rows)),
        )
    assert workers.paused_pid() == first.pid
    assert ImportJob.objects.get(pk=job.pk).rows_done == 1000
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert jobs.import_jobs_sweep() == 1
    assert jobs.import_jobs_sweep() == 1  # a duplicate message: still one set of rows
    workers.start("solo")
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished, what="the import to run again", timeout=120)
    time.sleep(2)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE, job.message
    assert PreApplicationImport.objects.count() == 1 and PreApplication.objects.count() == 1500
    assert Notification.objects.filter(category="import").count() == 1
    assert not list(jobs.import_job_root().iterdir())
    assert jobs.import_jobs_sweep() == 0
