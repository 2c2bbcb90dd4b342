"""On PostgreSQL the audit table refuses UPDATE and DELETE from anyone, the application included."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION loanportal_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit log is append-only: ' || TG_OP || ' refused on loanportal_auditevent',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER loanportal_audit_no_update BEFORE UPDATE ON loanportal_auditevent
    FOR EACH ROW EXECUTE FUNCTION loanportal_audit_append_only();
CREATE TRIGGER loanportal_audit_no_delete BEFORE DELETE ON loanportal_auditevent
    FOR EACH ROW EXECUTE FUNCTION loanportal_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS loanportal_audit_no_update ON loanportal_auditevent;
DROP TRIGGER IF EXISTS loanportal_audit_no_delete ON loanportal_auditevent;
DROP FUNCTION IF EXISTS loanportal_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("loanportal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
