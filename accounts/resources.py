"""Spreadsheet import and export of people (django-import-export), by the rules of organization.resources.

A row is matched to a person by username in any letter case. The organization is named: department,
unit and designation by their names. Imported people get an unusable password: they cannot sign in
until an admin sets one on their admin page (Django's password reset skips unusable passwords), and no
password ever travels in a spreadsheet. `created_by` is the importing user. Flags and roles (`is_active`,
`is_staff`, groups) are never imported.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields

from accounts.models import User
from core.caching import ALL
from organization.models import Department, Designation, Unit
from organization.resources import NameWidget, NaturalKeyResource


class UserResource(NaturalKeyResource):
    invalidates = (ALL,)  # people's names and organization show everywhere: every cached read is read again
    department = fields.Field(attribute="department", column_name="department", widget=NameWidget(Department))
    unit = fields.Field(attribute="unit", column_name="unit", widget=NameWidget(Unit))
    designation = fields.Field(attribute="designation", column_name="designation", widget=NameWidget(Designation))

    class Meta:
        model = User
        fields = (
            "username",
            "email",
            "full_name",
            "first_name",
            "last_name",
            "employee_id",
            "department",
            "unit",
            "designation",
            "mobile",
            "mobile2",
            "mobile3",
            "email2",
            "email3",
            "office_address",
            "about_me",
        )
        import_id_fields = ("username",)
        name = "People"

    def get_queryset(self):
        return User.objects.select_related("department", "unit", "designation")

    def import_instance(self, instance, row, **kwargs):
        """A superuser's row is for superusers only (as in the admin: core.api.staff_may_change)."""
        if instance.pk and instance.is_superuser and not (self.user and self.user.is_superuser):
            raise ValidationError({"username": _("Only a superuser may change a superuser.")})
        super().import_instance(instance, row, **kwargs)

    def prepare_new(self, instance) -> None:
        instance.set_unusable_password()
        instance.created_by = self.user
