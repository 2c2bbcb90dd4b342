"""The calendar job again every hour after its 01:30 run (issue 9 check 8): a run that beat could not publish
while Redis was down is made up within the hour, not the next day. The run is idempotent (notice 八: run twice
a day, the state of one run), so the later runs of a normal day find nothing left to do."""

from django.db import migrations

TASK = "deadlines.tasks.run_calendar_daily"
NAME = "工作日历补跑（每小时，补做中断期间未执行的提醒与到期处理）"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="2-23",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": TASK, "crontab": crontab, "interval": None, "enabled": True, "kwargs": "{}"},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0002_daily_schedule")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
