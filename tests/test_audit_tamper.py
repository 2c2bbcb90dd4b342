"""Issue 7 item 3: tamper-evidence that holds against the database credentials. The chain is keyed
(HMAC, AUDIT_HMAC_KEY never in the database) and anchored by signed checkpoints outside the database;
the hash covers each value exactly as stored."""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from applications.services import queue as intake_services
from loanportal import services
from loanportal.audit import (
    CHECKPOINT_FILE,
    audit_checkpoint,
    audit_record,
    audit_seal,
    audit_verify,
    event_payload,
    seal_hash,
)
from loanportal.models import AuditEvent, AuditSeal

from . import factories_intake
from .factories import is_postgresql
from .factories_intake import make_site, make_slots, person
from .migration_steps import rerun_migration_step
from .test_deploy import run_check

clock = factories_intake.clock  # the fixture


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


def _commit_like():
    """Seal (after commit in real life) and run the deferred foreign-key checks, as a commit would."""
    audit_seal()
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def logged(world):
    staff = world.users.county1_staff
    for n, major in enumerate(["数学", "物理", "化学", "生物", "历史"]):
        student = [world.students.c1_u1, world.students.c1_u4][n % 2]
        services.student_update(actor=staff, student=student, major=major, reason=f"更正{n}")
    _commit_like()
    assert audit_verify() == []
    return list(AuditEvent.objects.order_by("pk"))


def _as_dba(*statements):
    """What someone holding the database's owner or superuser credentials can do: triggers off for the
    session, then any statement."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        if is_postgresql():
            cursor.execute("SET session_replication_role = DEFAULT")


def _plain_sha256(event, seq, prev, sealed_at):
    body = {"seq": seq, "prev": prev, "sealed_at": sealed_at.isoformat(), "event": event_payload(event)}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


@pytest.mark.parametrize("recompute", ["plain_sha256", "guessed_key"])
def test_issue7_3_rewritten_row_with_recomputed_hashes_is_detected(logged, settings, recompute):
    """A DBA rewrites a reason and recomputes every following hash the way today's
    `AuditEvent.compute_hash()` allowed (plain SHA-256), or with the right algorithm and a guessed key:
    without AUDIT_HMAC_KEY the seals do not match."""
    target = logged[1]
    _as_dba(("UPDATE loanportal_auditevent SET reason = %s WHERE id = %s", ["被改过的原因", target.pk]))
    real_key = settings.AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEY = "dev-only-audit-hmac-key"  # the attacker's guess
    seals = list(AuditSeal.objects.order_by("seq").select_related("event"))
    previous = None
    for seal in seals:
        prev = previous or seal.prev_hash
        if recompute == "plain_sha256":
            new_hash = _plain_sha256(seal.event, seal.seq, prev, seal.sealed_at)
        else:
            new_hash = seal_hash(event=seal.event, seq=seal.seq, prev_hash=prev, sealed_at=seal.sealed_at)
        _as_dba(
            (
                "UPDATE loanportal_auditseal SET prev_hash = %s, row_hash = %s WHERE seq = %s",
                [prev, new_hash, seal.seq],
            )
        )
        previous = new_hash
    settings.AUDIT_HMAC_KEY = real_key

    problems = audit_verify()
    assert any(f"第{target.pk}条记录" in p and "篡改" in p for p in problems), problems
    with pytest.raises(CommandError, match="校验失败"):
        call_command("audit_verify")


def test_issue7_3_removed_newest_rows_are_detected_by_the_checkpoint(logged, checkpoint_dir, capsys):
    """The chain alone cannot tell that its newest rows are gone; the signed checkpoint written outside
    the database by the daily job can."""
    record = audit_checkpoint()
    assert record["seq"] == len(logged)
    line = json.loads((checkpoint_dir / CHECKPOINT_FILE).read_text().splitlines()[-1])
    assert (
        set(line) == {"seq", "hash", "at", "hmac"}
        and line["hash"] == AuditSeal.objects.get(seq=len(logged)).row_hash
    )
    call_command("audit_verify")
    assert "1 个检查点校验通过" in capsys.readouterr().out

    newest = [event.pk for event in logged[-2:]]
    _as_dba(
        ("DELETE FROM loanportal_auditseal WHERE event_id IN (%s, %s)", newest),
        ("DELETE FROM loanportal_auditevent WHERE id IN (%s, %s)", newest),
    )
    problems = audit_verify()
    assert any("最新的记录被删除" in p for p in problems), problems


def test_issue7_3_rewritten_checkpoint_line_is_detected(logged, checkpoint_dir):
    audit_checkpoint()
    path = checkpoint_dir / CHECKPOINT_FILE
    line = json.loads(path.read_text())
    line["seq"] = 1  # move the anchor back so the newest rows could go unnoticed
    path.write_text(json.dumps(line) + "\n")
    assert any("签名不符" in p for p in audit_verify())


@pytest.mark.skipif(not is_postgresql(), reason="SQLite checks the dangling foreign key at teardown")
def test_issue7_3_removed_middle_row_and_its_seal_are_detected(logged):
    victim = logged[2]
    _as_dba(("DELETE FROM loanportal_auditevent WHERE id = %s", [victim.pk]))
    assert any(f"第{victim.pk}条记录已不存在" in p for p in audit_verify())
    _as_dba(("DELETE FROM loanportal_auditseal WHERE event_id = %s", [victim.pk]))
    assert any("封存缺失" in p for p in audit_verify())


def test_issue7_3_numeric_reason_on_cancel_is_hashed_as_stored_and_verifies_clean(world, clock, api_for):
    """`{"reason": 12345}` on /api/v1/appointments/{id}/cancel/ is a 400 (issue 9 check 6: the schema says
    a string) and records nothing; `{"reason": "12345"}` is stored as that text, the hash covers it, so
    audit_verify reports no tampering that never happened."""
    county = world.county1
    slot = make_slots(make_site(county))[0]
    appointment = intake_services.appointment_book(
        actor=world.users.county1_staff, slot=slot, **person(county, 1)
    )
    api = api_for(world.users.county1_staff)
    url = f"/api/v1/appointments/{appointment.pk}/cancel/"
    refused = api.post(url, {"reason": 12345}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    assert not AuditEvent.objects.filter(
        action="appointment.cancelled", object_pk=str(appointment.pk)
    ).exists()
    response = api.post(url, {"reason": "12345"}, format="json")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="appointment.cancelled", object_pk=str(appointment.pk))
    assert event.reason == "12345"
    _commit_like()
    assert audit_verify() == []


def test_issue7_3_values_are_hashed_exactly_as_stored(world):
    """Numbers, dates, decimals, nested objects and a non-text reason: the row in memory equals the row
    read back, and the seal of the stored row verifies."""
    event = audit_record(
        actor=world.users.county1_staff,
        action="test.values",
        obj=world.students.c1_u1,
        old={
            "amount": Decimal("1200.50"),
            "day": datetime.date(2026, 8, 3),
            "n": 1.0,
            "z": {"b": 1, "a": [2, "1"]},
        },
        new={"reason": 12345, "flag": True, "none": None},
        reason=12345,
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.old, stored.new, stored.reason) == (event.old, event.new, event.reason)
    assert (
        stored.reason == "12345" and stored.old["amount"] == "1200.50" and stored.old["day"] == "2026-08-03"
    )
    _commit_like()
    assert audit_verify() == []


def test_issue7_3_production_requires_the_audit_key():
    env = {"DJANGO_SECRET_KEY": "k8#Qz!p2Lm9@Xv4Rt7&Yw1*Bn6^Hc3(Jd5)Fg0-Sa8+Ue2=Io7?Pl4"}
    env["DJANGO_ALLOWED_HOSTS"] = "loans.example.gov.cn"
    missing = run_check(env)
    assert missing.returncode != 0 and "AUDIT_HMAC_KEY" in missing.stderr
    short = run_check({**env, "AUDIT_HMAC_KEY": "short"})
    assert short.returncode != 0 and "AUDIT_HMAC_KEY" in short.stderr


def test_issue7_3_sealer_and_daily_checkpoint_are_scheduled_and_run(logged, checkpoint_dir):
    """django-celery-beat holds the sealer (every minute) and the daily checkpoint (migration 0003);
    the tasks seal what is pending and write the signed line outside the database."""
    from django_celery_beat.models import PeriodicTask

    from loanportal import tasks

    # The rows come from migration 0003's create_schedules. A transactional test that ran earlier on the same
    # pytest worker flushes every table, so run that migration step again on the migrated state's models
    # (idempotent: update_or_create) and check what it leaves.
    rerun_migration_step("loanportal", "0003_audit_sealed_chain", "create_schedules", times=2)
    scheduled = dict(
        PeriodicTask.objects.filter(task__startswith="loanportal.tasks.audit_").values_list("task", "enabled")
    )
    assert scheduled == {
        "loanportal.tasks.audit_seal_pending": True,
        "loanportal.tasks.audit_checkpoint_daily": True,
    }
    assert PeriodicTask.objects.get(task="loanportal.tasks.audit_checkpoint_daily").crontab.hour == "1"
    audit_record(actor=None, action="test.pending", object_type="test")
    assert tasks.audit_seal_pending() == 1
    assert tasks.audit_checkpoint_daily() == len(logged) + 1
    assert len((checkpoint_dir / CHECKPOINT_FILE).read_text().splitlines()) == 1
    assert audit_verify() == []
