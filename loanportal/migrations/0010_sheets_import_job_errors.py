from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loanportal", "0009_student_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="errors",
            field=models.JSONField(blank=True, default=list, verbose_name="错误报告"),
        ),
    ]
