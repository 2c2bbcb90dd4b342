"""Database roles on PostgreSQL: the schema owner migrates; the portal connects as a role that owns
nothing, may only INSERT and SELECT the audit tables, and has plain DML on the others.

`manage.py migrate` runs as the owner when DATABASE_OWNER_URL is set (`as_owner`) and then grants the
app role (`app_role_setup`); `manage.py db_roles` does the granting on its own.
"""

import re
from contextlib import contextmanager

import environ
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# The tamper-evident log: the app role may add rows and read them, nothing else.
AUDIT_TABLES = ("loanportal_auditevent", "loanportal_auditseal")
# Read-only for the app: which migrations ran.
READ_ONLY_TABLES = ("django_migrations",)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class RoleSetupError(Exception):
    pass


def owner_settings(alias: str = DEFAULT_DB_ALIAS) -> dict | None:
    """Credentials of the schema owner (DATABASE_OWNER_URL) for the `alias` database, or None when not
    configured or when the URL names another database (a test database keeps its creator's login)."""
    if not settings.DATABASE_OWNER_URL:
        return None
    parsed = environ.Env.db_url_config(settings.DATABASE_OWNER_URL)
    if parsed.get("NAME") != connections[alias].settings_dict.get("NAME"):
        return None
    return {key: parsed.get(key, "") for key in _CREDENTIALS}


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS):
    """Run the block with the `alias` connection logged in as the schema owner (same database name,
    so test databases work too). Yields the app's own credentials (USER, PASSWORD, HOST, PORT)."""
    connection = connections[alias]
    app = {key: connection.settings_dict.get(key, "") for key in _CREDENTIALS}
    owner = owner_settings(alias)
    if owner is None:
        yield app
        return
    connection.close()
    connection.settings_dict.update({key: value for key, value in owner.items() if value not in (None, "")})
    try:
        yield app
    finally:
        connection.close()
        connection.settings_dict.update(app)


def app_role_setup(*, connection, role: str, password: str | None = None) -> list[str]:
    """Create the app role if missing (LOGIN, no other attribute), check it is no superuser and owns
    nothing here, and grant: DML on every table, only INSERT/SELECT on the audit tables, SELECT on
    django_migrations, USAGE/SELECT on sequences. Idempotent; run as the owner after every migrate.
    Returns what was done, for the command's output."""
    if connection.vendor != "postgresql":
        return ["SQLite：没有数据库角色，跳过"]
    if not _ROLE_NAME.match(role or ""):
        raise RoleSetupError(f"数据库角色名“{role}”不合规：只能用小写字母、数字和下划线")
    quoted = connection.ops.quote_name(role)
    done = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        current, database, schema = cursor.fetchone()
        if current == role:
            raise RoleSetupError(f"应用角色“{role}”不能与当前（属主）角色相同")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # Another process may create it at the same moment: tolerate that.
            cursor.execute(
                f"DO $$ BEGIN CREATE ROLE {quoted} LOGIN; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
            done.append(f"创建角色 {role}")
        if password:
            cursor.execute(f"ALTER ROLE {quoted} WITH LOGIN PASSWORD %s", [password])
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication, oid "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        privileged, oid = cursor.fetchone()
        if privileged:
            raise RoleSetupError(
                f"应用角色“{role}”不能是超级用户，也不能有 CREATEROLE、CREATEDB、BYPASSRLS、REPLICATION 权限"
            )
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = %s)"
            " + (SELECT count(*) FROM pg_namespace WHERE nspowner = %s)"
            " + (SELECT count(*) FROM pg_proc WHERE proowner = %s)",
            [oid, oid, oid],
        )
        if cursor.fetchone()[0]:
            raise RoleSetupError(f"应用角色“{role}”在本数据库中拥有对象；请先把这些对象的属主改为属主角色")
        db, sch = connection.ops.quote_name(database), connection.ops.quote_name(schema)
        audit = ", ".join(f"{sch}.{connection.ops.quote_name(t)}" for t in AUDIT_TABLES)
        read_only = ", ".join(f"{sch}.{connection.ops.quote_name(t)}" for t in READ_ONLY_TABLES)
        for statement in (
            f"GRANT CONNECT ON DATABASE {db} TO {quoted}",
            f"GRANT USAGE ON SCHEMA {sch} TO {quoted}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {quoted}",
            f"REVOKE UPDATE, DELETE ON {audit} FROM {quoted}",
            f"REVOKE INSERT, UPDATE, DELETE ON {read_only} FROM {quoted}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {quoted}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {quoted}",
        ):
            cursor.execute(statement)
    done.append(
        f"授权 {role}：{database}.{schema} 各表增删改查，审计表（{'、'.join(AUDIT_TABLES)}）只能插入和查询，"
        "序列可用，不拥有任何对象"
    )
    return done
