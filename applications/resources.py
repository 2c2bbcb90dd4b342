"""django-import-export Resource of the pre-application list (首贷预申请名单).

The portal's own import (services.preapplications.pre_application_import) is the path users take: it
checks the whole file first and writes with bulk_create. This Resource reads the same template through
django-import-export's row-by-row machinery; it backs the admin export and is the baseline of
`make bench` (bench/bench_preapplication_import.py), with the same checks wherever import-export has a
hook for them: model full_clean (ID check digit, phone, basis choices, the (year, ID) constraint, which
also catches duplicates inside the file because earlier rows are already saved), the 生源地 column
against the importing county, and "already listed this year" through the instance lookup.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from .models.preapplication import PreApplication, PreApplicationStatus
from .rules.preapplications import COLUMN_BY_KEY, basis_from_text, county_matches, county_names


class BasisWidget(widgets.Widget):
    """预申请依据: the Chinese label (or the code) ↔ the stored code."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return ""
        basis = basis_from_text(value)
        if basis is None:
            raise ValueError(f"预申请依据“{value}”不在六类范围内")
        return basis

    def render(self, value, obj=None, **kwargs):
        return obj.get_basis_display() if obj is not None else value


class CountyWidget(widgets.Widget):
    """生源地 column: must name the importing county (its 6-digit code or its name)."""

    def __init__(self, county=None, **kwargs):
        super().__init__(**kwargs)
        self.county = county

    def clean(self, value, row=None, **kwargs):
        if self.county is None:
            raise ValueError("未指定导入县")
        if not county_matches(value, code=self.county.code, names=county_names(self.county.name)):
            raise ValueError(f"生源地“{value}”不是本县（{self.county.code}）")
        return self.county

    def render(self, value, obj=None, **kwargs):
        return getattr(value, "code", "")


class TextWidget(widgets.CharWidget):
    """Text cells stripped; numbers as digits without a trailing .0 (phones typed as numbers)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


def _field(key, widget=None):
    return fields.Field(attribute=key, column_name=COLUMN_BY_KEY[key].header, widget=widget or TextWidget())


class PreApplicationResource(resources.ModelResource):
    name = _field("name")
    id_number = _field("id_number")
    basis = _field("basis", BasisWidget())
    county = _field("county", CountyWidget())
    high_school = _field("high_school")
    phone = _field("phone")
    note = _field("note")

    class Meta:
        model = PreApplication
        fields = ("name", "id_number", "basis", "county", "high_school", "phone", "note")
        export_order = fields
        import_id_fields = ("id_number",)
        clean_model_instances = True
        skip_unchanged = False
        report_skipped = True

    def __init__(self, *, county=None, year=None, actor=None, batch=None, **kwargs):
        super().__init__(**kwargs)
        self.county, self.year, self.actor, self.batch = county, year, actor, batch
        self.fields["county"].widget = CountyWidget(county)

    def get_queryset(self):
        return PreApplication.objects.filter(year=self.year)

    def get_instance(self, instance_loader, row):
        existing = super().get_instance(instance_loader, row)
        if existing is not None:
            raise ValidationError({"id_number": f"该生已在{existing.county.name}{self.year}年度预申请名单中"})
        return None

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.year = self.year
        instance.county = self.county
        instance.status = PreApplicationStatus.LISTED
        instance.source = "import"
        instance.batch = self.batch
        instance.created_by = self.actor
        return instance

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.id_number = (instance.id_number or "").upper()
