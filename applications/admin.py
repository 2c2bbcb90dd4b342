"""Admin of the applications app: every list goes through the app's selectors (loanportal.admin.ScopedAdmin).
Read-mostly: state changes happen through the services (pages and API), never by editing a row here."""

from django.contrib import admin

from loanportal.admin import ScopedAdmin
from loanportal.rules import mask_id_number

from .models import Application, Appointment, IntakeSite, PreApplication, QueueSnapshot
from .selectors import intake as intake_selectors
from .selectors import lifecycle as lifecycle_selectors
from .selectors import preapplications as preapplication_selectors


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MaskedIdMixin:
    @admin.display(description="身份证号")
    def masked_id(self, obj):
        return mask_id_number(obj.id_number)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(lifecycle_selectors.applications_visible_to)
    list_display = [
        "pk",
        "student",
        "year",
        "county",
        "university",
        "status",
        "contract_number",
        "created_at",
    ]
    list_filter = ["status", "year"]
    exclude = ["receipt_code"]


@admin.register(PreApplication)
class PreApplicationAdmin(MaskedIdMixin, ReadOnlyScopedAdmin):
    selector = staticmethod(preapplication_selectors.pre_applications_visible_to)
    list_display = ["name", "masked_id", "year", "county", "basis", "high_school", "status"]
    list_filter = ["basis", "status", "year"]
    exclude = ["id_number", "phone"]


@admin.register(Appointment)
class AppointmentAdmin(MaskedIdMixin, ReadOnlyScopedAdmin):
    selector = staticmethod(intake_selectors.appointments_visible_to)
    list_display = ["date", "name", "masked_id", "site", "status", "queue_number"]
    list_filter = ["status", "date"]
    exclude = ["id_number", "phone"]


@admin.register(IntakeSite)
class IntakeSiteAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(intake_selectors.intake_sites_visible_to)
    list_display = ["name", "county", "kind", "opens_at", "closes_at", "minutes_per_case", "is_active"]


@admin.register(QueueSnapshot)
class QueueSnapshotAdmin(ReadOnlyScopedAdmin):
    selector = staticmethod(intake_selectors.queue_snapshots_visible_to)
    list_display = ["date", "county", "level", "booked_next_7", "capacity_next_7", "waiting_now"]
    list_filter = ["level"]
