"""Audit log: append-only (PostgreSQL trigger), sealed into a keyed chain verified by `audit_verify`."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from loanportal import services
from loanportal.audit import audit_seal, audit_verify
from loanportal.models import AuditEvent

from .factories import is_postgresql


@pytest.fixture
def events(world):
    services.student_update(
        actor=world.users.county1_staff, student=world.students.c1_u1, major="数学", reason="更正"
    )
    services.student_update(actor=world.users.county1_staff, student=world.students.c1_u4, major="物理")
    services.student_update(actor=world.users.county3_staff, student=world.students.c3_u1, major="化学")
    audit_seal()  # after commit in real life; the test transaction never commits
    if is_postgresql():  # run the deferred foreign-key checks now, as a commit would
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return AuditEvent.objects.order_by("pk")


@pytest.fixture(autouse=True)
def _checkpoints(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def test_every_write_records_who_what_old_new_reason(world, events):
    event = events.get(object_pk=str(world.students.c1_u1.pk))
    assert (event.actor, event.action, event.reason) == (world.users.county1_staff, "student.update", "更正")
    assert event.old == {"major": "计算机科学与技术"} and event.new == {"major": "数学"}
    assert event.organisation == world.county1 and event.university == world.university1


def test_application_cannot_update_or_delete_audit_rows(events):
    event = events.first()
    event.reason = "changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_trigger_refuses_update_and_delete(events):
    pk = events.first().pk
    for statement in (
        "UPDATE loanportal_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM loanportal_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(statement, [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=pk).update(reason="x")
    assert AuditEvent.objects.get(pk=pk).reason != "x"


def test_audit_verify_passes_on_intact_chain(events, capsys):
    assert audit_verify() == []
    call_command("audit_verify")
    assert "校验通过" in capsys.readouterr().out


def _tamper(pk, reason):
    """What a DBA bypassing the application could do: triggers disabled for this session only."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE loanportal_auditevent SET reason = %s WHERE id = %s", [reason, pk])
        if is_postgresql():
            cursor.execute("SET session_replication_role = DEFAULT")


def test_audit_verify_detects_tampered_row(events):
    target = events.first()
    _tamper(target.pk, "被改过的原因")
    problems = audit_verify()
    assert any(f"第{target.pk}条" in p and "篡改" in p for p in problems)
    with pytest.raises(CommandError, match="校验失败"):
        call_command("audit_verify")


def test_audit_verify_detects_removed_row(events):
    victim = list(events)[1]
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM loanportal_auditseal WHERE event_id = %s", [victim.pk])
        cursor.execute("DELETE FROM loanportal_auditevent WHERE id = %s", [victim.pk])
        if is_postgresql():
            cursor.execute("SET session_replication_role = DEFAULT")
    assert any("封存缺失" in p for p in audit_verify())


def test_audit_rows_listed_on_object_page(world, events, client_for):
    page = client_for(world.users.county1_staff).get(f"/students/{world.students.c1_u1.pk}/").content.decode()
    assert "修改学生信息" in page and "更正" in page


def test_changes_on_object_pages_read_in_the_users_words(world, client_for):
    """Audit rows on an object's page show field names and choice labels, not codes."""
    services.student_update(
        actor=world.users.county1_staff, student=world.students.c1_u1, level="graduate", reason="升学"
    )
    page = client_for(world.users.county1_staff).get(f"/students/{world.students.c1_u1.pk}/").content.decode()
    assert "学历层次：本科 → 研究生" in page
    assert "undergraduate" not in page
