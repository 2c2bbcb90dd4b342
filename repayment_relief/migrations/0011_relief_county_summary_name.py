"""The relief measures' county summary (附件4) is ReliefCountySummary: applications.CountySummary is the
loan year's 申请汇总表, a different thing with the same short name."""

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("repayment_relief", "0010_relief_money"),
        ("loanportal", "0008_foundation_year_end"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="CountySummary", new_name="ReliefCountySummary"),
    ]
