from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest, FieldError, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from core.admin import BoundedSearchAdmin
from organization.models import Cadre, Department, Designation, Unit
from organization.resources import CadreResource, DepartmentResource, DesignationResource, UnitResource
from organization.services import unit_members_follow_department


class ImportExportHistoryAdmin(BoundedSearchAdmin, ImportExportMixin, SimpleHistoryAdmin):
    """A model's admin with spreadsheet import (a dry-run preview first) and export, and its change history.

    Importing needs the add and change permissions; exporting needs the view permission. The history is
    an audit trail: records are shown, never restored (a person's record keeps no password to restore).
    """

    formats = [CSV, XLSX]
    import_template_name = "admin/import_export/import_preview.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def revert_disabled(self, request, obj=None):
        return True

    def get_export_queryset(self, request):
        """The changelist's rows, as import-export reads them; a query string the changelist cannot use (an
        unknown parameter: a FieldError) is a 400, as Django's changelist refuses it."""
        try:
            return super().get_export_queryset(request)
        except (FieldError, IncorrectLookupParameters, ValidationError) as exc:
            raise BadRequest("The export's filters are not valid.") from exc

    def history_view(self, request, object_id, extra_context=None):
        _valid_or_404(self.opts.pk, object_id)  # simple-history would try int("ab"): a 500
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])  # a record is shown, not restored
        _valid_or_404(self.opts.pk, object_id)
        _valid_or_404(self.model.history.model._meta.pk, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        # The data changed between the preview and the confirmation: rolled back, nothing written.
        problems = [f"row {row.number}: {' '.join(row.error.messages)}" for row in result.invalid_rows]
        problems += [str(error.error) for error in result.base_errors]
        problems += [str(error.error) for _, errors in result.row_errors() for error in errors]
        self.message_user(request, "Nothing was imported. " + "; ".join(problems), messages.ERROR)
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))


def _valid_or_404(field, value: str) -> None:
    """A URL's id that the field cannot hold (not a number, out of range) names nothing: 404."""
    try:
        field.to_python(unquote(value))
    except ValidationError:
        raise Http404 from None


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ("name", "abbr")
    extra = 0
    show_change_link = True


@admin.register(Department)
class DepartmentAdmin(ImportExportHistoryAdmin):
    resource_classes = [DepartmentResource]
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
class UnitAdmin(ImportExportHistoryAdmin):
    resource_classes = [UnitResource]
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
class CadreAdmin(ImportExportHistoryAdmin):
    resource_classes = [CadreResource]
    list_display = ("name", "designation_count")
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(designation_count=Count("designations"))

    @admin.display(description="designations", ordering="designation_count")
    def designation_count(self, obj):
        return obj.designation_count


@admin.register(Designation)
class DesignationAdmin(ImportExportHistoryAdmin):
    resource_classes = [DesignationResource]
    list_display = ("name", "abbr", "cadre")
    list_filter = ("cadre",)
    list_select_related = ("cadre",)
    search_fields = ("name", "abbr")
    ordering = ("name",)
    autocomplete_fields = ("cadre",)
