"""Issue 7 item 3: the portal connects as a role that owns nothing and may only INSERT and SELECT the
audit tables; migrations run as the owner (DATABASE_OWNER_URL). PostgreSQL only: these tests log in
as the app role for real. (The rest of the suite runs as the test database's creator, a superuser:
pytest-django must create databases, and the tamper tests play the DBA.)"""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from loanportal import services
from loanportal.audit import audit_seal, audit_verify
from loanportal.dbroles import app_role_setup
from loanportal.models import AuditEvent, AuditSeal

from .factories import is_postgresql

ROLE = "loanportal_test_app"
PASSWORD = "test-only-app-role-password"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_role(live_world, settings, tmp_path):
    if not is_postgresql():
        pytest.skip("database roles exist on PostgreSQL only")
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    app_role_setup(connection=connection, role=ROLE, password=PASSWORD)  # as the test database's owner
    return ROLE


def _connect_as(role, password, dbname=None):
    s = connection.settings_dict
    conn = psycopg2.connect(
        dbname=dbname or s["NAME"],
        user=role,
        password=password,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )
    conn.autocommit = True
    return conn


@contextmanager
def _portal_logged_in_as(role, password):
    """The portal's own connection logged in as `role` for the block."""
    saved = {key: connection.settings_dict.get(key) for key in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict.update(USER=role, PASSWORD=password)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


REFUSED = [
    "TRUNCATE loanportal_auditevent",
    "TRUNCATE loanportal_auditevent, loanportal_auditseal CASCADE",
    "TRUNCATE loanportal_auditseal",
    "UPDATE loanportal_auditevent SET reason = 'x'",
    "DELETE FROM loanportal_auditevent",
    "UPDATE loanportal_auditseal SET row_hash = 'x'",
    "DELETE FROM loanportal_auditseal",
    "ALTER TABLE loanportal_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE loanportal_auditevent DISABLE TRIGGER loanportal_audit_no_update",
    "ALTER TABLE loanportal_auditseal DISABLE TRIGGER USER",
    "SET session_replication_role = replica",
    "DROP TRIGGER loanportal_audit_no_delete ON loanportal_auditevent",
    "DROP TABLE loanportal_auditseal",
    "CREATE TABLE loanportal_shadow (id int)",
    "DELETE FROM django_migrations",
]


def test_issue7_3_app_role_may_only_insert_and_select_the_audit_tables(app_role, live_world):
    services.student_update(
        actor=live_world.users.county1_staff, student=live_world.students.c1_u1, major="数学"
    )
    audit_seal(wait=True)
    events, seals = AuditEvent.objects.count(), AuditSeal.objects.count()
    assert events == seals > 0

    conn = _connect_as(ROLE, PASSWORD)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT current_user, count(*) FROM loanportal_auditevent")
        assert cursor.fetchone() == (ROLE, events)
        cursor.execute("SELECT count(*) FROM loanportal_auditseal")
        assert cursor.fetchone()[0] == seals
        for statement in REFUSED:
            with pytest.raises(psycopg2.Error) as refused:
                cursor.execute(statement)
            assert refused.value.pgcode == "42501", (statement, refused.value)  # insufficient_privilege
        cursor.execute(
            "INSERT INTO loanportal_auditevent (created_at, actor_username, action, object_type, object_pk, "
            "object_repr, reason) VALUES (now(), 'system', 'test.insert', '', '', '', '') RETURNING id"
        )
        assert cursor.fetchone()[0]
        # plain DML on the business tables
        cursor.execute(
            "UPDATE loanportal_student SET major = major WHERE id = %s", [live_world.students.c1_u4.pk]
        )
        assert cursor.rowcount == 1
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s",
            [ROLE],
        )
        assert cursor.fetchone()[0] == 0  # owns nothing
    finally:
        conn.close()

    assert AuditEvent.objects.count() == events + 1
    assert AuditSeal.objects.count() == seals
    # the portal itself works as that role: an audited write, the sealer, the verification
    with _portal_logged_in_as(ROLE, PASSWORD):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == ROLE
        services.student_update(
            actor=live_world.users.county1_staff, student=live_world.students.c1_u4, major="物理"
        )
        audit_seal(wait=True)
        assert audit_verify() == []
        assert not AuditEvent.objects.filter(seal__isnull=True).exists()


def test_issue7_3_migrate_runs_as_the_owner_and_grants_the_app_role(app_role):
    """`manage.py migrate` with DATABASE_URL = the app role and DATABASE_OWNER_URL = the owner: every
    table belongs to the owner, and the app role gets its grants (here on a fresh database)."""
    owner, database = "loanportal_test_owner", f"{connection.settings_dict['NAME']}_roles"
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN CREATE ROLE loanportal_test_owner LOGIN CREATEROLE; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        cursor.execute(f"ALTER ROLE {owner} PASSWORD %s", [PASSWORD])
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{database}" OWNER {owner}')
    s = connection.settings_dict
    where = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{database}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"postgres://{ROLE}:{PASSWORD}@{where}",
        DATABASE_OWNER_URL=f"postgres://{owner}:{PASSWORD}@{where}",
        DJANGO_SETTINGS_MODULE="loanportal.settings",
    )
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
        assert f"授权 {ROLE}" in result.stdout
        conn = _connect_as(ROLE, PASSWORD, dbname=database)
        try:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT DISTINCT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            )
            assert [row[0] for row in cursor.fetchall()] == [owner]
            cursor.execute(
                "SELECT has_table_privilege(current_user, 'loanportal_auditevent', 'INSERT'), "
                "has_table_privilege(current_user, 'loanportal_auditevent', 'SELECT'), "
                "has_table_privilege(current_user, 'loanportal_auditevent', 'UPDATE'), "
                "has_table_privilege(current_user, 'loanportal_auditevent', 'DELETE'), "
                "has_table_privilege(current_user, 'loanportal_auditevent', 'TRUNCATE'), "
                "has_table_privilege(current_user, 'loanportal_auditseal', 'UPDATE'), "
                "has_table_privilege(current_user, 'loanportal_student', 'UPDATE')"
            )
            assert cursor.fetchone() == (True, True, False, False, False, False, True)
        finally:
            conn.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
