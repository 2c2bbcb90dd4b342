"""Existing loan years: `fee_standard_due` (7/15) now has an enforcement action, the province's list of
late universities (renewals.list_late_fee_universities); new years get it from the default calendar."""

from django.db import migrations

ACTION = "renewals.list_late_fee_universities"


def set_action(apps, schema_editor):
    KeyDate = apps.get_model("deadlines", "KeyDate")
    KeyDate.objects.filter(code="fee_standard_due", enforcement_action="").update(enforcement_action=ACTION)


def unset_action(apps, schema_editor):
    KeyDate = apps.get_model("deadlines", "KeyDate")
    KeyDate.objects.filter(code="fee_standard_due", enforcement_action=ACTION).update(enforcement_action="")


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0003_renewals_fee_accounts_imports"),
        ("deadlines", "0002_daily_schedule"),
    ]

    operations = [migrations.RunPython(set_action, unset_action)]
