from django.contrib import admin
from django.db import transaction
from django.db.models import Count

from organization.models import Cadre, Department, Designation, Unit
from organization.services import unit_members_follow_department


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ("name", "abbr")
    extra = 0
    show_change_link = True


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "abbr", "kind", "unit_count")
    list_filter = ("kind",)
    search_fields = ("name", "abbr")
    ordering = ("name",)
    autocomplete_fields = ("heads",)
    inlines = [UnitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unit_count=Count("units"))

    @admin.display(description="units", ordering="unit_count")
    def unit_count(self, obj):
        return obj.unit_count


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "abbr", "department")
    list_filter = ("department",)
    list_select_related = ("department",)
    search_fields = ("name", "abbr", "department__name")
    ordering = ("name",)
    autocomplete_fields = ("department", "heads")

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        unit_members_follow_department(unit=obj)


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ("name", "designation_count")
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(designation_count=Count("designations"))

    @admin.display(description="designations", ordering="designation_count")
    def designation_count(self, obj):
        return obj.designation_count


@admin.register(Designation)
class DesignationAdmin(admin.ModelAdmin):
    list_display = ("name", "abbr", "cadre")
    list_filter = ("cadre",)
    list_select_related = ("cadre",)
    search_fields = ("name", "abbr")
    ordering = ("name",)
    autocomplete_fields = ("cadre",)
