"""Spreadsheet import and export (django-import-export): the organization's resources, and the rules
every import of the project follows (people too, in accounts.resources).

- A row is matched to a stored record by its natural key (a name; a person's username) in any letter
  case, so importing the same file again changes nothing: unchanged rows are skipped.
- Every bad row is a validation error with its row number (row 1 is the first row under the header):
  an unknown related name, a value that an earlier row of the file or another record already has, and
  whatever the model's own `full_clean()` refuses. One bad row and nothing at all is written.
- Lookups run once per file (stored records, taken values, related names), never once per row; rows
  are written in batches with their change history, by the importing user.
- Exported text that a spreadsheet would run as a formula ("=…", "+…", "-…", "@…": people write their own
  names and "about me") gets a leading apostrophe, which an import takes off again.
"""

import re

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.text import capfirst
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.caching import invalidate
from organization.models import Cadre, Department, Designation, Unit
from organization.services import unit_members_follow_department

LOOKUP_CHUNK = 500  # values per `IN (...)` of one lookup query
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"[-+]?[0-9 ()./-]*")  # "+91 98100 12345", "-5": no formula to fear


def natural(value) -> str:
    """A key as it is compared: text in any letter case, outer spaces ignored ("" for an empty cell)."""
    return "" if value is None else str(value).strip().lower()


def by_key_in_any_case(queryset, field: str, keys) -> dict:
    """The rows of `queryset` whose `field`, lowercased, is one of `keys`: {lowercased value: row}."""
    keys = sorted({key for key in keys if key})
    found = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        found.update(
            (row.import_key, row) for row in queryset.annotate(import_key=Lower(field)).filter(import_key__in=chunk)
        )
    return found


def formula_escaped(value):
    """`value` as a spreadsheet should store it: text that it would evaluate gets a leading apostrophe
    (and so does text that starts with one, so that `formula_unescaped()` can tell the two apart)."""
    if not isinstance(value, str):
        return value
    if value.startswith("'") or (value.startswith(FORMULA_START) and not NUMBER_LIKE.fullmatch(value)):
        return "'" + value
    return value


def formula_unescaped(value):
    """The text that `formula_escaped()` was given."""
    if isinstance(value, str) and value.startswith("'") and formula_escaped(value[1:]) == value:
        return value[1:]
    return value


def column(dataset, field: fields.Field) -> list:
    """The values of `field`'s column, or none when the file has no such column."""
    return dataset[field.column_name] if field.column_name in (dataset.headers or ()) else []


class NameWidget(widgets.ForeignKeyWidget):
    """A related record by its name in any letter case; `load()` looks up the names of a whole file at once."""

    def __init__(self, model, **kwargs):
        super().__init__(model, field="name", **kwargs)
        self.by_name = {}

    def load(self, names) -> None:
        self.by_name = by_key_in_any_case(self.model.objects.all(), "name", map(natural, names))

    def clean(self, value, row=None, **kwargs):
        if not natural(value):
            return None
        try:
            return self.by_name[natural(value)]
        except KeyError:
            raise ValueError(f"Unknown {self.model._meta.verbose_name} {str(value).strip()!r}.") from None


class NaturalKeyInstanceLoader(BaseInstanceLoader):
    """The stored records that rows of the file name, found by their natural key in one query per 500 keys."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.key = resource.fields[resource.get_import_id_fields()[0]]
        keys = map(natural, column(dataset, self.key))
        self.stored = by_key_in_any_case(resource.get_queryset(), self.key.attribute, keys)

    def get_instance(self, row):
        return self.stored.get(natural(row.get(self.key.column_name)))


class NaturalKeyResource(resources.ModelResource):
    """The shared import rules (see the module docstring); a subclass names its model, fields and key."""

    invalidates = ("org", "people")  # the cached reads (core.caching scopes) an import of these rows changes

    class Meta:
        instance_loader_class = NaturalKeyInstanceLoader
        use_bulk = True
        batch_size = 500
        skip_unchanged = True
        report_skipped = True  # the preview lists unchanged rows too, as "Skipped"
        clean_model_instances = True

    def import_data(self, dataset, *args, **kwargs):
        kwargs["rollback_on_validation_errors"] = True  # one bad row: nothing is written
        return super().import_data(dataset, *args, **kwargs)

    def export_field(self, field, instance, **kwargs):
        return formula_escaped(super().export_field(field, instance, **kwargs))

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")  # the admin passes the request's user
        self.user = user if user is not None and user.is_authenticated else None
        file_name = kwargs.get("file_name")
        self.change_reason = f"Imported from {file_name}" if file_name else "Imported"
        for index, row in enumerate(dataset):
            dataset[index] = [formula_unescaped(value) for value in row]
        self.repeated = self._repeated_in_file(dataset)
        self.owners = self._stored_owners(dataset)
        for field in self.get_import_fields():
            if isinstance(field.widget, NameWidget):
                field.widget.load(column(dataset, field))

    def unique_fields(self) -> list[fields.Field]:
        """The imported fields the model keeps unique (each compared in any letter case)."""
        model_fields = {f.name: f for f in self._meta.model._meta.concrete_fields}
        return [
            field
            for field in self.get_import_fields()
            if (model_field := model_fields.get(field.attribute)) and model_field.unique and not model_field.primary_key
        ]

    def _repeated_in_file(self, dataset) -> dict[int, dict[str, str]]:
        """{row number: {field: message}} for each value of a unique field that an earlier row already has."""
        repeated = {}
        for field in self.unique_fields():
            label = capfirst(self._meta.model._meta.get_field(field.attribute).verbose_name)
            first_row = {}
            for number, value in enumerate(column(dataset, field), 1):
                if not (key := natural(value)):
                    continue
                if key in first_row:
                    message = f"{label} {str(value).strip()!r} is also in row {first_row[key]}."
                    repeated.setdefault(number, {})[field.attribute] = message
                else:
                    first_row.setdefault(key, number)
        return repeated

    def _stored_owners(self, dataset) -> dict[str, dict[str, int]]:
        """{field: {lowercased value: pk}} of stored records that have the file's values of a unique field.

        The natural key is left out: a stored record with that key is the one the row updates.
        """
        key_fields = set(self.get_import_id_fields())
        queryset = self._meta.model._default_manager.only("pk")
        return {
            field.attribute: {
                key: row.pk
                for key, row in by_key_in_any_case(
                    queryset, field.attribute, map(natural, column(dataset, field))
                ).items()
            }
            for field in self.unique_fields()
            if field.attribute not in key_fields
        }

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            self.prepare_new(instance)

    def prepare_new(self, instance) -> None:
        """Fill what a new record needs beyond the file's columns (nothing here)."""

    def import_instance(self, instance, row, **kwargs):
        """Set the row's values, then add the errors only the whole file shows (repeats, values taken)."""
        key = self.fields[self.get_import_id_fields()[0]].attribute
        stored_key = getattr(instance, key) if instance.pk else None
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if stored_key is not None:
            setattr(instance, key, stored_key)  # matched in any letter case: the stored spelling stays
        for attribute, message in self.repeated.get(kwargs.get("row_number"), {}).items():
            errors.setdefault(attribute, []).append(message)
        for attribute, owners in self.owners.items():
            owner = owners.get(natural(getattr(instance, attribute)))
            if owner is not None and owner != instance.pk and attribute not in errors:
                errors[attribute] = [instance.unique_error_message(type(instance), (attribute,))]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        try:
            instance.clean()  # the model's own normalizing (e.g. a unit implies its department) before comparing
        except ValidationError:
            return False  # validate_instance() reports it
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's full_clean(), less the per-row queries: related records were found by name and
        uniqueness was checked for the whole file (the database constraints still stand behind both)."""
        errors = dict(import_validation_errors or {})
        found = {f.name for f in instance._meta.concrete_fields if f.is_relation and getattr(instance, f.attname)}
        try:
            instance.full_clean(exclude=[*errors, *found], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._bulk_write(self.create_instances, using_transactions, dry_run, raise_errors, batch_size, result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._bulk_write(self.update_instances, using_transactions, dry_run, raise_errors, batch_size, result)

    def _bulk_write(self, instances, using_transactions, dry_run, raise_errors, batch_size, result):
        """bulk_create or bulk_update with a history record per row, by the importing user."""
        if not instances or (dry_run and not using_transactions):
            return
        history = {"batch_size": batch_size, "default_user": self.user, "default_change_reason": self.change_reason}
        try:
            if instances is self.create_instances:
                bulk_create_with_history(instances, self._meta.model, **history)
            else:
                bulk_update_with_history(instances, self._meta.model, self.get_bulk_update_fields(), **history)
        except Exception as exc:  # the library's own bulk paths report any error this way
            self.handle_import_error(result, exc, raise_errors)
        else:
            invalidate(*self.invalidates)  # bulk writes send no model signals (core.caching)
        finally:
            instances.clear()


class DepartmentResource(NaturalKeyResource):
    class Meta:
        model = Department
        fields = ("name", "abbr", "kind")
        import_id_fields = ("name",)


class UnitResource(NaturalKeyResource):
    department = fields.Field(attribute="department", column_name="department", widget=NameWidget(Department))

    class Meta:
        model = Unit
        fields = ("name", "abbr", "department")
        import_id_fields = ("name",)

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.moved = []

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance.stored_department_id = instance.department_id

    def after_save_instance(self, instance, row, **kwargs):
        if instance.pk and instance.department_id != instance.stored_department_id:
            self.moved.append(instance)

    def after_import(self, dataset, result, **kwargs):
        for unit in self.moved:  # as in the admin: a unit's people move with it
            unit_members_follow_department(unit=unit)


class CadreResource(NaturalKeyResource):
    class Meta:
        model = Cadre
        fields = ("name",)
        import_id_fields = ("name",)


class DesignationResource(NaturalKeyResource):
    cadre = fields.Field(attribute="cadre", column_name="cadre", widget=NameWidget(Cadre))

    class Meta:
        model = Designation
        fields = ("name", "abbr", "cadre")
        import_id_fields = ("name",)
