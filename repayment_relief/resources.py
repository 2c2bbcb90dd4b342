"""django-import-export Resource of the bank's ledger spreadsheet (贷款台账), the baseline of `make bench`
(bench/bench_ledger_import.py): the same template read through import-export's row-by-row machinery —
the contract looked up by its number (ForeignKeyWidget), the list columns parsed by widgets into the JSON
the model keeps, model full_clean, and the snapshot checked as a ledger (`to_ledger`, the same consistency
rules as the portal's import) before each save. The portal's own import (ledger_import/) is the path
users take."""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from .ledger import LedgerError
from .ledger_import import IMPORT_TEMPLATE, _items
from .models import LoanContract, LoanLedgerSnapshot

HEADER = {f.key: f.header for f in IMPORT_TEMPLATE.fields}
KINDS = {"本金": "principal", "利息": "interest"}


class ListWidget(widgets.Widget):
    """A list cell ("2024-12-21:3.05；2025-12-21:2.80") ↔ the model's JSON list."""

    def __init__(self, keys, **kwargs):
        super().__init__(**kwargs)
        self.keys = keys

    def clean(self, value, row=None, **kwargs):
        try:
            items = _items("" if value is None else str(value), len(self.keys), "")
        except LedgerError as exc:
            raise ValueError(exc.message) from None
        result = []
        for item in items:
            entry = dict(zip(self.keys, item, strict=True))
            if "kind" in entry:
                entry["kind"] = KINDS.get(entry["kind"], entry["kind"])
            result.append(entry)
        return result


def _field(key, widget):
    return fields.Field(attribute=key, column_name=HEADER[key], widget=widget)


class LedgerSnapshotResource(resources.ModelResource):
    contract = fields.Field(
        attribute="contract",
        column_name=HEADER["contract_no"],
        widget=widgets.ForeignKeyWidget(LoanContract, "contract_no"),
    )
    as_of = _field("as_of", widgets.DateWidget("%Y-%m-%d"))
    interest_settled_through = _field("interest_settled_through", widgets.DateWidget("%Y-%m-%d"))
    outstanding_principal = _field("outstanding_principal", widgets.DecimalWidget())
    penalty_accrued = _field("penalty_accrued", widgets.DecimalWidget())
    rates = _field("rates", ListWidget(("from", "annual_rate")))
    overdue = _field("overdue", ListWidget(("kind", "due", "amount")))
    schedule = _field("schedule", ListWidget(("due", "principal")))

    class Meta:
        model = LoanLedgerSnapshot
        fields = (
            "contract",
            "as_of",
            "interest_settled_through",
            "outstanding_principal",
            "penalty_accrued",
            "rates",
            "overdue",
            "schedule",
        )
        import_id_fields = ()
        clean_model_instances = True
        skip_unchanged = False

    def get_instance(self, instance_loader, row):
        return None  # every row is a new snapshot (history is kept)

    def before_save_instance(self, instance, row, **kwargs):
        try:
            instance.to_ledger()
        except LedgerError as exc:
            raise ValidationError(exc.message) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(str(exc)) from None
        # the newer snapshot replaces the older one as the contract's latest
        LoanLedgerSnapshot.objects.filter(contract=instance.contract, is_latest=True).update(is_latest=False)
        instance.is_latest = True
