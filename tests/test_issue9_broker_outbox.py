"""Issue 9 protection check 8 (broker down) for the notification outbox and the import jobs of two kinds.

With our own Redis really stopped (tests/test_jobs_broker.py's redis-server on a free port, never the
machine's), pages and the API answer for three roles without hanging; an export approved, a pre-application
list and a fee-standard file uploaded as jobs, and a notification with its e-mail are all recorded in the
database with no message; once Redis is back, the sweeps and duplicate messages reach a real Celery worker
thread and each piece of work is done exactly once (one file, one batch, one e-mail per recipient).
Policy: notice 二十一 (exports approved), relief measures 第二十七条 (controlled copying and transfer).
"""

import datetime
import threading
import time
from collections import Counter

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loanportal import services as core_services
from loanportal.celery import app
from loanportal.models import EmailStatus, Notification
from tests.factories import TEST_PASSWORD
from tests.factories_lifecycle import make_application
from tests.test_jobs_broker import redis_broker, start_worker_on, wait_for  # noqa: F401 - fixture

pytestmark = [pytest.mark.worker]

FEE_HEADERS = ["专业", "学历层次", "学费（元/年）", "住宿费（元/年）"]


def _backdate_everything():
    from loanportal.exports.models import ExportRequest
    from loanportal.imports.models import ImportJob

    past = timezone.now() - datetime.timedelta(minutes=5)
    ExportRequest.objects.update(updated_at=past)
    ImportJob.objects.update(updated_at=past)
    Notification.objects.update(created_at=past)


def test_issue9_check8_broker_down_export_two_import_kinds_and_notification_email_each_done_once(
    live_world,
    redis_broker,  # noqa: F811 - the fixture imported from tests/test_jobs_broker.py
    client_for,
    api_for,
    monkeypatch,
    settings,
    tmp_path,
):
    """Notice 二十一 and relief measures 第二十七条: Redis really stopped → pages and API work for a county
    clerk, a county manager and a university officer; an export, two import jobs (pre-application list,
    fee standards) and a notification with its e-mail are recorded first; Redis back → a worker does each
    exactly once, although the sweeps ran twice and the e-mail job was published twice."""
    from applications.services import lifecycle as lifecycle_services
    from loanportal.exports import services as export_services
    from loanportal.exports.models import ExportStatus
    from loanportal.imports import jobs
    from loanportal.imports.models import ImportJob, ImportJobStatus
    from loanportal.tasks import notification_emails_send_task, notification_emails_sweep_task
    from renewals.models import FeeStandard
    from tests.factories_preapplications import good_row, student_id, upload, workbook_bytes

    world = live_world
    staff, manager = world.users.county1_staff, world.users.county1_manager
    officer = world.users.university1_officer
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.IMPORT_JOB_ROOT = str(tmp_path / "imports")
    settings.IMPORT_JOB_MIN_BYTES = 1  # every upload here is a background job
    manager.email, staff.email = "county1-manager@example.invalid", "county1-staff@example.invalid"
    manager.save(update_fields=["email"])
    staff.save(update_fields=["email"])
    signed = make_application(world, to="contract_signed")
    queue = app.conf.task_default_queue
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    export = export_services.export_request_create(
        actor=staff, kind="applications", params={}, purpose="报送市资助中心核对受理数据"
    )
    mail.outbox = []

    redis_broker.stop()  # --- Redis really down from here ---------------------------------------------
    started = time.monotonic()
    for user, urls in (
        (staff, ["dashboard", "application-list", "notification-list", "preapplication-import"]),
        (manager, ["dashboard", "application-list", "export-list"]),
        (officer, ["dashboard", "fee-standard-list", "notification-list"]),
    ):
        client = client_for(user)
        for name in urls:
            assert client.get(reverse(name)).status_code == 200, (user.username, name)
        for path in ("/api/v1/applications/", "/api/v1/exports/"):
            assert api_for(user).get(path).status_code == 200, (user.username, path)
    login = Client().post(reverse("login"), {"username": officer.username, "password": TEST_PASSWORD})
    assert login.status_code == 302, login.status_code  # sessions and lockouts live in the database
    approved = api_for(manager).post(f"/api/v1/exports/{export.pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content

    year = timezone.localdate().year
    rows = [good_row(身份证号=student_id(birth=f"2008{1 + i % 12:02d}{1 + i:02d}")) for i in range(5)]
    response = client_for(staff).post(
        reverse("preapplication-import"), {"year": year, "file": upload(workbook_bytes(rows))}
    )
    assert response.status_code == 302, response.status_code
    fees = [["化学", "本科", 4800, 1200], ["临床医学", "本科", 6200, 1200]]
    response = client_for(officer).post(
        reverse("fee-standard-import"), {"file": upload(workbook_bytes(fees, headers=FEE_HEADERS))}
    )
    assert response.status_code == 302, response.status_code

    # A correction waits for the manager: the bell at once, the e-mail recorded in the outbox, not sent.
    lifecycle_services.correction_request(
        actor=staff, application=signed, changes={"major": "数学与应用数学"}, reason="专业录错"
    )
    note = Notification.objects.get(recipient=manager, category="correction")
    assert note.title in client_for(manager).get(reverse("notification-list")).content.decode()
    assert (note.email_status, note.email_to, note.email_attempts) == (
        EmailStatus.PENDING,
        manager.email,
        0,
    )
    assert mail.outbox == []  # never sent inside the request
    # Everything above, with Redis down, took a bounded time (one failed publish, then the breaker).
    assert time.monotonic() - started < 30

    export.refresh_from_db()
    assert export.status == ExportStatus.APPROVED
    assert sorted(ImportJob.objects.values_list("kind", "status")) == [
        ("fee_standards", ImportJobStatus.QUEUED),
        ("pre_applications", ImportJobStatus.QUEUED),
    ]
    assert FeeStandard.objects.count() == 0
    pending = list(Notification.objects.filter(email_status=EmailStatus.PENDING).values_list("pk", flat=True))
    assert note.pk in pending

    redis_broker.start()  # --- Redis back ----------------------------------------------------------------
    _backdate_everything()
    for _ in range(2):  # two sweeps before any worker consumes: duplicate messages for every job
        assert export_services.exports_sweep()["dispatched"] == 1
        assert jobs.import_jobs_sweep() == 2
        notification_emails_sweep_task.delay()
        notification_emails_send_task.delay(pending)  # and the original e-mail job, as if it were redelivered
    with start_worker_on(queue):
        wait_for(
            lambda: (
                export_services.ExportRequest.objects.get(pk=export.pk).status == ExportStatus.READY
                and all(job.finished for job in ImportJob.objects.all())
                and not Notification.objects.filter(email_status=EmailStatus.PENDING).exists()
            ),
            what="the export ready, both imports finished, no e-mail pending",
        )
        time.sleep(1)  # let the duplicate messages reach the worker too

    assert export_services.export_root().joinpath(f"export-{export.pk}.xlsx").exists()
    assert len(list(export_services.export_root().iterdir())) == 1
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportJobStatus.DONE}
    assert FeeStandard.objects.count() == 2
    from applications.models import PreApplication, PreApplicationImport

    assert PreApplicationImport.objects.count() == 1 and PreApplication.objects.count() == len(rows)
    assert Notification.objects.filter(category="import").count() == 2
    sent = Counter((tuple(m.to), m.subject) for m in mail.outbox)
    assert sent[((manager.email,), note.title)] == 1
    assert set(sent.values()) == {1}, sent  # every e-mail exactly once
    emailed = Notification.objects.exclude(email_status=EmailStatus.NONE)
    assert (
        len(mail.outbox)
        == emailed.count()
        == emailed.filter(
            email_status=EmailStatus.SENT, email_attempts=1, email_sent_at__isnull=False
        ).count()
    )
    assert core_services.notification_emails_sweep(older_than_seconds=0)["sent"] == 0


def test_issue9_check8_a_hung_broker_holds_a_publish_seconds_not_forever(monkeypatch):
    """Issue 9 check 8 (no long hang): a "Redis" that accepts connections but never answers (paused,
    overloaded, half-open network) → the publish gives up within the broker socket timeouts, and the next
    publish in this process does not wait at all (the breaker) until the sweep's turn."""
    import socket

    from loanportal import dispatch
    from loanportal.tasks import notification_emails_send_task
    from tests.test_jobs_broker import reset_pools

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the handshake; nobody ever reads or writes
    url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    reset_pools()
    outcome = []

    def publish_twice():
        for _ in range(2):
            started = time.monotonic()
            outcome.append((dispatch.publish(notification_emails_send_task, [1], what="test"), started))
            outcome[-1] = (outcome[-1][0], time.monotonic() - started)

    try:
        thread = threading.Thread(target=publish_twice, daemon=True)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the publish to a silent broker hangs"
    finally:
        silent.close()  # a hung publish (the failure case) gets a reset and ends
        app.conf.task_always_eager, app.conf.broker_url = previous
        monkeypatch.undo()
        reset_pools()
        dispatch.broker_down_reset()
    (first_ok, first), (second_ok, second) = outcome
    assert not first_ok and first < 15, first
    assert not second_ok and second < 0.5, second


# --- the outbox itself (no broker needed) ----------------------------------------------------------------


class SlowBackend(LocmemBackend):
    """Takes a while to send, so that two senders overlap."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


class DownBackend(LocmemBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_issue9_outbox_two_senders_at_once_send_the_email_once(live_world, settings):
    """Notice 二十一 (traceable notices): the task and the sweep sending the same pending e-mail at the same
    moment → the row lock lets one send; the other finds it locked or sent."""
    settings.EMAIL_BACKEND = "tests.test_issue9_broker_outbox.SlowBackend"
    user = live_world.users.county1_manager
    user.email = "m@example.invalid"
    user.save(update_fields=["email"])
    (note,) = core_services.notification_send(recipients=[user], title="更正待审批", body="请审批")
    assert note.email_status == EmailStatus.PENDING
    mail.outbox = []
    results = []

    def send():
        try:
            results.append(core_services.notification_email_send(pk=note.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "skipped", "skipped"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["m@example.invalid"]
    note.refresh_from_db()
    assert (note.email_status, note.email_attempts) == (EmailStatus.SENT, 1)


def test_issue9_outbox_smtp_down_is_retried_by_the_sweep_then_sent_once(world, settings):
    """Notice 二十一: an e-mail that SMTP refused stays pending with its error, the sweep sends it once SMTP
    is back, and gives up (failed) after the configured number of attempts — never sent twice."""
    settings.EMAIL_BACKEND = "tests.test_issue9_broker_outbox.DownBackend"
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3
    first, second = world.users.county1_manager, world.users.county2_staff
    for user, address in ((first, "a@example.invalid"), (second, "b@example.invalid")):
        user.email = address
        user.save(update_fields=["email"])
    notes = core_services.notification_send(recipients=[first, second], title="提醒", body="内容")
    assert core_services.notification_emails_send(pks=[n.pk for n in notes]) == [n.pk for n in notes]
    assert core_services.notification_emails_sweep(older_than_seconds=0)["retry"] == 2
    states = Notification.objects.filter(pk__in=[n.pk for n in notes]).values_list(
        "email_status", "email_attempts", "email_error"
    )
    assert {s[:2] for s in states} == {(EmailStatus.PENDING, 2)}
    assert all("SMTP down" in s[2] for s in states)
    # The second recipient's e-mail gives up on its third attempt; the first is sent when SMTP is back.
    assert core_services.notification_email_send(pk=notes[1].pk) == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert core_services.notification_emails_sweep(older_than_seconds=0) == {
        "sent": 1,
        "retry": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert core_services.notification_emails_sweep(older_than_seconds=0)["sent"] == 0
    assert [m.to for m in mail.outbox] == [["a@example.invalid"]]
    assert Notification.objects.get(pk=notes[1].pk).email_status == EmailStatus.FAILED

    # SMTP down with many pending: a sweep stops after three failures in a row instead of trying them all.
    settings.EMAIL_BACKEND = "tests.test_issue9_broker_outbox.DownBackend"
    many = core_services.notification_send(recipients=[first] * 5, title="批量提醒", body="内容")
    assert core_services.notification_emails_sweep(older_than_seconds=0)["retry"] == 3
    assert sorted(
        Notification.objects.filter(pk__in=[n.pk for n in many]).values_list("email_attempts", flat=True)
    ) == [
        0,
        0,
        1,
        1,
        1,
    ]


def test_issue9_outbox_no_address_or_email_false_records_no_email(world, settings):
    """Notice 二十一: only recipients with an address get an e-mail row; email=False notices get none, and a
    repeated dedupe_key records neither the notice nor its e-mail twice."""
    user = world.users.county1_manager
    user.email = "m@example.invalid"
    user.save(update_fields=["email"])
    without = world.users.county1_staff
    notes = core_services.notification_send(recipients=[user, without], title="t", dedupe_key="k1")
    assert [n.email_status for n in notes] == [EmailStatus.PENDING, EmailStatus.NONE]
    assert core_services.notification_send(recipients=[user], title="t", dedupe_key="k1") == []
    (quiet,) = core_services.notification_send(recipients=[user], title="t2", email=False)
    assert quiet.email_status == EmailStatus.NONE and quiet.email_to == ""
    assert Notification.objects.filter(email_status=EmailStatus.PENDING).count() == 1


@pytest.mark.django_db
def test_issue9_outbox_sweep_is_scheduled_by_a_migration():
    """Issue 9 check 8: the sweep that sends what is still pending runs from django-celery-beat every few
    minutes, and so does the export/import sweep (work recorded while Redis was down is picked up soon)."""
    from django_celery_beat.models import PeriodicTask

    from tests.migration_steps import rerun_migration_step

    # A transactional test that ran earlier on this pytest worker flushed the table: run the step again
    # (idempotent: update_or_create), after the export sweep's own step (0004), as migrate does.
    rerun_migration_step("loanportal", "0004_sheetsout_exports", "create_schedule")
    rerun_migration_step("loanportal", "0011_notify9_notification_outbox", "create_schedule", times=2)
    assert PeriodicTask.objects.filter(task="loanportal.tasks.notification_emails_sweep_task").count() == 1
    tasks = {t.task: t for t in PeriodicTask.objects.filter(enabled=True)}
    assert tasks["loanportal.tasks.notification_emails_sweep_task"].crontab.minute == "1-59/5"
    assert tasks["loanportal.exports.tasks.exports_sweep_task"].crontab.minute == "2-59/5"


def test_issue9_outbox_notification_and_email_roll_back_with_the_change(
    world, django_capture_on_commit_callbacks
):
    """Issue 9 check 8 (nothing lost, nothing invented): the notification and its e-mail are written in the
    change's transaction — a change that fails leaves neither, and publishes nothing."""
    from django.db import transaction

    user = world.users.county1_manager
    user.email = "m@example.invalid"
    user.save(update_fields=["email"])
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        core_services.notification_send(recipients=[user], title="更正待审批")
        raise RuntimeError("the change failed")
    assert callbacks == [] and not Notification.objects.filter(title="更正待审批").exists()


def test_issue9_outbox_receipt_return_notice_is_in_the_return_transaction(world):
    """Notice 八 (回执退回) and issue 9 check 8: the university's notice of a returned receipt is recorded with
    the return itself, not in an after-commit callback that a crash (or a failing broker) could lose."""
    from applications.services import yearend
    from tests.factories_yearend import CONFIRM_DAY, applications_in

    officer = world.users.university1_officer
    officer.email = "u1@example.invalid"
    officer.save(update_fields=["email"])
    (application,) = applications_in(world, "receipt_entered", 1)
    yearend.receipt_return(
        actor=world.users.county1_staff, application=application, reason="金额不符，请核对", on=CONFIRM_DAY
    )
    # No on-commit callback has run (the test's transaction is still open): the notice is there already.
    note = Notification.objects.get(recipient=officer, title__startswith="回执被退回")
    assert (note.email_status, note.email_to) == (EmailStatus.PENDING, "u1@example.invalid")
