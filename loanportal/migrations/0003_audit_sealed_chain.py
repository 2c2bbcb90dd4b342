"""The audit chain moves out of the business transaction: rows are appended unsealed and a sealer
gives them their place in a keyed (HMAC) chain after commit (`AuditSeal`). Existing rows are sealed
here with AUDIT_HMAC_KEY. The seal table is append-only like the log, and django-celery-beat gets the
sealer (every minute) and the daily checkpoint outside the database."""

import django.db.models.deletion
from django.db import migrations, models

SEAL_TRIGGERS = """
CREATE TRIGGER loanportal_auditseal_no_update BEFORE UPDATE ON loanportal_auditseal
    FOR EACH ROW EXECUTE FUNCTION loanportal_audit_append_only();
CREATE TRIGGER loanportal_auditseal_no_delete BEFORE DELETE ON loanportal_auditseal
    FOR EACH ROW EXECUTE FUNCTION loanportal_audit_append_only();
"""
DROP_SEAL_TRIGGERS = """
DROP TRIGGER IF EXISTS loanportal_auditseal_no_update ON loanportal_auditseal;
DROP TRIGGER IF EXISTS loanportal_auditseal_no_delete ON loanportal_auditseal;
"""
SEALER = ("loanportal.tasks.audit_seal_pending", "审计日志封存（每分钟）")
CHECKPOINT = ("loanportal.tasks.audit_checkpoint_daily", "审计日志检查点（每日，写到数据库之外）")


def seal_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEAL_TRIGGERS)


def drop_seal_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SEAL_TRIGGERS)


def seal_existing(apps, schema_editor):
    from django.utils import timezone

    from loanportal.audit import GENESIS, seal_hash

    AuditEvent = apps.get_model("loanportal", "AuditEvent")
    AuditSeal = apps.get_model("loanportal", "AuditSeal")
    seq, previous, now, batch = 0, GENESIS, timezone.now(), []
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        seq += 1
        row_hash = seal_hash(event=event, seq=seq, prev_hash=previous, sealed_at=now)
        batch.append(AuditSeal(seq=seq, event=event, sealed_at=now, prev_hash=previous, row_hash=row_hash))
        previous = row_hash
        if len(batch) == 2000:
            AuditSeal.objects.bulk_create(batch)
            batch = []
    AuditSeal.objects.bulk_create(batch)


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SEALER[1],
        defaults={"task": SEALER[0], "interval": every_minute, "crontab": None, "enabled": True, "kwargs": "{}"},
    )
    # 01:45, after the calendar's 01:30 job has written its audit rows.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45", hour="1", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=CHECKPOINT[1],
        defaults={"task": CHECKPOINT[0], "crontab": crontab, "interval": None, "enabled": True, "kwargs": "{}"},
    )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[SEALER[1], CHECKPOINT[1]]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loanportal", "0002_audit_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    # Schema changes first: PostgreSQL refuses ALTER TABLE while the inserted seals' deferred foreign-key
    # checks are pending.
    operations = [
        migrations.RemoveField(model_name="auditevent", name="prev_hash"),
        migrations.RemoveField(model_name="auditevent", name="row_hash"),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="序号")),
                ("sealed_at", models.DateTimeField(verbose_name="封存时间")),
                ("prev_hash", models.CharField(max_length=64)),
                ("row_hash", models.CharField(max_length=64)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="seal",
                        to="loanportal.auditevent",
                    ),
                ),
            ],
            options={"verbose_name": "审计日志封存", "verbose_name_plural": "审计日志封存", "ordering": ["seq"]},
        ),
        migrations.RunPython(seal_triggers, drop_seal_triggers),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RunPython(create_schedules, remove_schedules),
    ]
