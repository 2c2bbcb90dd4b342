"""Admin for the core. Every admin goes through the same selectors as the views (ScopedAdmin)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import selectors, tokens
from .models import ApiToken, AuditEvent, Notification, Organisation, Student, User
from .rules import mask_id_number


class ScopedAdmin(admin.ModelAdmin):
    """Admin whose queryset comes from `selector(user)`, never from the default manager."""

    selector = None

    def get_queryset(self, request):
        return type(self).selector(user=request.user)


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    selector = staticmethod(selectors.organisations_visible_to)
    list_display = ["code", "name", "kind", "parent", "in_province", "expected_applicants"]
    list_filter = ["kind", "in_province"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(ScopedAdmin, BaseUserAdmin):
    selector = staticmethod(selectors.users_visible_to)
    list_display = ["username", "full_name", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("机构与角色", {"fields": ["organisation", "role", "full_name", "phone"]}),
    ]


@admin.register(Student)
class StudentAdmin(ScopedAdmin):
    selector = staticmethod(selectors.students_visible_to)
    list_display = ["name", "masked_id", "household_county", "university", "level"]
    list_filter = ["level"]
    search_fields = ["name"]
    exclude = ["id_number"]
    readonly_fields = ["masked_id"]

    @admin.display(description="身份证号")
    def masked_id(self, obj):
        return mask_id_number(obj.id_number)

    # Writes go through the services (validated, audited), never through an admin form.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin):
    selector = staticmethod(selectors.audit_events_visible_to)
    list_display = ["created_at", "actor_username", "action", "object_repr", "reason", "ip_address"]
    search_fields = ["action", "actor_username", "object_repr"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    selector = staticmethod(selectors.notifications_for)
    list_display = ["created_at", "recipient", "title", "read_at", "email_status", "email_attempts"]
    list_filter = ["email_status"]


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    """API tokens: only the prefix is ever shown. An administrator revokes tokens here (audited)."""

    selector = staticmethod(tokens.api_tokens_visible_to)
    list_display = ["prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at", "created_ip"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name not in ("digest", "auth_hash")]
    exclude = ["digest", "auth_hash"]
    actions = ["revoke"]

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                tokens.api_token_revoke(actor=request.user, token=token, reason="管理后台吊销")
                count += 1
        self.message_user(request, f"已吊销 {count} 个令牌")

    # Tokens are issued through /api/v1/auth/token/ only; revoking is the action above.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
