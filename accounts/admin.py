from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Follow, User
from accounts.resources import UserResource
from accounts.services import user_record_active_change
from organization.admin import ImportExportHistoryAdmin


@admin.register(User)
class UserAdmin(ImportExportHistoryAdmin, DjangoUserAdmin):
    resource_classes = [UserResource]
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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        elif "is_active" in form.changed_data:
            user_record_active_change(user=obj, by=request.user)
        super().save_model(request, obj, form, change)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "followed", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("follower", "followed")
    search_fields = ("follower__username", "followed__username")
    autocomplete_fields = ("follower", "followed")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
