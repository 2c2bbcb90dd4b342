"""Admin of the calendar, read through the same selectors as the pages."""

from django.contrib import admin

from loanportal.admin import ScopedAdmin

from . import selectors
from .models import KeyDate, KeyDateExtension, LoanYear


@admin.register(LoanYear)
class LoanYearAdmin(ScopedAdmin):
    selector = staticmethod(selectors.loan_years_visible_to)
    list_display = ["year", "created_at"]


@admin.register(KeyDate)
class KeyDateAdmin(ScopedAdmin):
    """Read-only: dates change through the calendar page or the API (audited, with a reason)."""

    selector = staticmethod(selectors.key_dates_visible_to)
    list_display = [
        "loan_year",
        "code",
        "short_label",
        "start_date",
        "end_date",
        "owed_by",
        "enforcement_action",
    ]
    list_filter = ["loan_year", "owed_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(KeyDateExtension)
class KeyDateExtensionAdmin(ScopedAdmin):
    selector = staticmethod(selectors.extensions_visible_to)
    list_display = ["organisation", "key_date", "end_date", "reason", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
