from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminPasswordChangeRevokingTokensForm
from accounts.models import Follow, User
from accounts.resources import UserResource
from accounts.services import user_record_active_change
from core.admin import BoundedSearchAdmin
from organization.admin import ImportExportHistoryAdmin

# Fields that grant privileges: only a superuser changes them (the API's rule, core.api.staff_may_change).
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def may_change_person(user, person) -> bool:
    """A superuser's account is for superusers only: its email or password is the way into it."""
    return user.is_superuser or person is None or not person.is_superuser


@admin.register(User)
class UserAdmin(ImportExportHistoryAdmin, DjangoUserAdmin):
    """People. Staff with "Can change user" edit people; only superusers edit a superuser, grant staff or
    superuser status, or change anyone's groups and permissions (so nobody raises their own privileges)."""

    resource_classes = [UserResource]
    change_password_form = AdminPasswordChangeRevokingTokensForm  # a new password revokes the API tokens
    list_display = ("username", "email", "full_name", "department", "unit", "designation", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups", "department", "designation__cadre")
    list_select_related = ("department", "unit", "designation")
    search_fields = ("username", "full_name", "email", "employee_id")
    ordering = ("username",)
    autocomplete_fields = ("department", "unit", "designation")
    readonly_fields = ("last_login", "date_joined", "last_seen", "created_by", "deactivated_by", "deactivated_at")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name", "email", "about_me")}),
        (_("Organization"), {"fields": ("employee_id", "department", "unit", "designation")}),
        (
            _("Contact"),
            {"fields": ("mobile", "mobile2", "mobile3", "email2", "email3", "office_address")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (
            _("History"),
            {"fields": ("last_login", "date_joined", "last_seen", "created_by", "deactivated_by", "deactivated_at")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, *PRIVILEGE_FIELDS)

    def has_change_permission(self, request, obj=None):
        return may_change_person(request.user, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_change_person(request.user, obj) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        """The "delete selected" action: a superuser among them is for superusers only."""
        if not request.user.is_superuser and queryset.filter(is_superuser=True).exists():
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        elif "is_active" in form.changed_data:
            user_record_active_change(user=obj, by=request.user)
        super().save_model(request, obj, form, change)


@admin.register(Follow)
class FollowAdmin(BoundedSearchAdmin, admin.ModelAdmin):
    list_display = ("follower", "followed", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("follower", "followed")
    search_fields = ("follower__username", "followed__username")
    autocomplete_fields = ("follower", "followed")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
