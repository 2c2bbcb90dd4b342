"""Admin of the loan ledger: read-only, scoped by the same selectors as the API. The ledger changes only
through the bank's imports and the services."""

from django.contrib import admin

from loanportal.admin import ScopedAdmin

from . import selectors
from .models import LoanContract, LoanLedgerSnapshot


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerSnapshotInline(admin.TabularInline):
    model = LoanLedgerSnapshot
    fields = ["as_of", "interest_settled_through", "outstanding_principal", "penalty_accrued", "is_latest"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-as_of", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LoanContract)
class LoanContractAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(selectors.loan_contracts_visible_to)
    list_display = ["contract_no", "borrower", "county", "school_year", "principal"]
    list_filter = ["school_year"]
    search_fields = ["contract_no"]
    inlines = [LedgerSnapshotInline]


@admin.register(LoanLedgerSnapshot)
class LoanLedgerSnapshotAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(selectors.ledger_snapshots_visible_to)
    list_display = ["contract", "as_of", "interest_settled_through", "outstanding_principal", "is_latest"]
    list_filter = ["is_latest"]
    search_fields = ["contract__contract_no"]


# --- relief money: read-only, scoped by the money selectors; changes only through the services -----------

from . import money_selectors  # noqa: E402
from .models import BankAmount, DisbursementBatch, FundAccount, FundEntry  # noqa: E402


@admin.register(FundAccount)
class FundAccountAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(money_selectors.fund_accounts_visible_to)
    list_display = ["kind", "county", "balance", "owed", "updated_at"]
    list_filter = ["kind"]


@admin.register(FundEntry)
class FundEntryAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(money_selectors.fund_entries_visible_to)
    list_display = ["created_at", "account", "kind", "amount", "owed_change", "balance_after", "document"]
    list_filter = ["kind"]
    search_fields = ["document", "note"]


@admin.register(BankAmount)
class BankAmountAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(money_selectors.bank_amounts_visible_to)
    list_display = ["case", "contract", "total", "status", "entered_at"]
    list_filter = ["status"]


@admin.register(DisbursementBatch)
class DisbursementBatchAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(money_selectors.disbursements_visible_to)
    list_display = ["year", "number", "status", "total", "prepared_by", "approved_by", "confirmed_at"]
    list_filter = ["year", "status"]
