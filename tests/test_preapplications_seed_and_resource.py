"""Demo seeder of the pre-application lists and the django-import-export Resource (the bench baseline)."""

import tablib
from django.utils import timezone

from applications.hooks.preapplications import seed_pre_applications
from applications.models import PreApplication, PreApplicationImport
from applications.resources import PreApplicationResource
from loanportal.demo import seed_core

from .factories_preapplications import good_row, workbook_bytes


class _Out:
    def write(self, text):
        pass


def test_seeder_lists_county_1_and_3_and_is_idempotent(db):
    context = seed_core(password="demo-pass-2026", stdout=_Out())
    seed_pre_applications(context)
    year = timezone.localdate().year
    batches = PreApplicationImport.objects.filter(succeeded=True, year=year)
    assert sorted(b.county.code for b in batches) == ["620123", "620522"]
    rows = PreApplication.objects.filter(year=year)
    assert rows.count() == 30
    assert rows.values("basis").distinct().count() == 6
    assert rows.values("high_school").distinct().count() == 4
    assert rows.filter(student__isnull=False).count() == 6  # demo students are on the list
    seed_pre_applications(context)
    assert PreApplication.objects.filter(year=year).count() == 30


def _dataset(rows):
    return tablib.Dataset().load(workbook_bytes(rows), format="xlsx")


def test_resource_imports_a_good_list(world):
    resource = PreApplicationResource(county=world.county1, year=2026, actor=world.users.county1_staff)
    result = resource.import_data(_dataset([good_row(), good_row()]), dry_run=False, use_transactions=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert PreApplication.objects.filter(county=world.county1, source="import").count() == 2


def test_resource_with_a_bad_row_rolls_back_everything(world):
    """notice 三(六) all-or-nothing holds for the baseline too (rollback_on_validation_errors)."""
    resource = PreApplicationResource(county=world.county1, year=2026, actor=world.users.county1_staff)
    same = good_row()
    rows = [same, good_row(), good_row("620522"), list(same)]
    result = resource.import_data(
        _dataset(rows), dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )
    assert result.has_validation_errors()
    invalid = {row.number: row for row in result.invalid_rows}
    assert set(invalid) == {3, 4}  # tablib's data-row numbers: outside county, duplicate of row 1
    assert PreApplication.objects.count() == 0
