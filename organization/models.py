"""The organization people belong to: departments and their units, cadres and designations.

Delete rules (see the README's table): a department takes its units with it (CASCADE);
people of a deleted department or unit stay, detached (SET_NULL, on accounts.User);
a cadre or designation in use cannot be deleted (PROTECT).
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.history import ChangeHistory, LoadedValues

# model name → the message for a name that is taken, in any letter case (whole sentences, for translators)
NAME_TAKEN = {
    "cadre": _("A cadre with that name already exists."),
    "designation": _("A designation with that name already exists."),
    "department": _("A department with that name already exists."),
    "unit": _("A unit with that name already exists."),
}


def unique_name_in_any_case(model_name: str) -> models.UniqueConstraint:
    """Names are unique in any letter case ("Faculty" and "faculty" are one cadre) on every engine."""
    return models.UniqueConstraint(
        Lower("name"),
        name=f"organization_{model_name}_name_ci_unique",
        violation_error_message=NAME_TAKEN[model_name],
    )


class Cadre(LoadedValues, models.Model):
    """A service cadre, e.g. Faculty; groups designations."""

    name = models.CharField(
        max_length=30,
        unique=True,
        help_text=_("Unique in any letter case, e.g. Faculty."),
        error_messages={"unique": NAME_TAKEN["cadre"]},
    )
    history = ChangeHistory()

    class Meta:
        ordering = ["name"]
        constraints = [unique_name_in_any_case("cadre")]

    def __str__(self):
        return self.name


class Designation(LoadedValues, models.Model):
    """A post a person holds, e.g. Professor, within a cadre."""

    name = models.CharField(
        max_length=50,
        unique=True,
        help_text=_("Unique in any letter case, e.g. Professor."),
        error_messages={"unique": NAME_TAKEN["designation"]},
    )
    abbr = models.CharField(_("abbreviation"), max_length=10, help_text=_("Short form, e.g. Prof."))
    cadre = models.ForeignKey(
        Cadre,
        on_delete=models.PROTECT,
        related_name="designations",
        help_text=_("A cadre cannot be deleted while it has designations."),
    )
    history = ChangeHistory()

    class Meta:
        ordering = ["name"]
        constraints = [unique_name_in_any_case("designation")]

    def __str__(self):
        return self.name


class DepartmentKind(models.TextChoices):
    CENTER = "center", _("Center")
    DEPARTMENT = "department", _("Department")


class Department(LoadedValues, models.Model):
    """A department or a center; units belong to it."""

    Kind = DepartmentKind

    name = models.CharField(
        max_length=50,
        unique=True,
        help_text=_("Unique in any letter case, e.g. Anaesthesiology."),
        error_messages={"unique": NAME_TAKEN["department"]},
    )
    abbr = models.CharField(_("abbreviation"), max_length=10, blank=True, help_text=_("Optional short form."))
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.DEPARTMENT, help_text=_("Center or department.")
    )
    heads = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="headed_departments", blank=True, help_text=_("People who lead it.")
    )
    history = ChangeHistory()

    class Meta:
        ordering = ["name"]
        constraints = [
            unique_name_in_any_case("department"),
            models.CheckConstraint(condition=models.Q(kind__in=DepartmentKind.values), name="department_kind_valid"),
        ]

    def __str__(self):
        return self.name


class Unit(LoadedValues, models.Model):
    """A unit within a department; deleted with its department."""

    name = models.CharField(
        max_length=30,
        unique=True,
        help_text=_("Unique in any letter case, e.g. RPC Unit 1."),
        error_messages={"unique": NAME_TAKEN["unit"]},
    )
    abbr = models.CharField(_("abbreviation"), max_length=10, help_text=_("Short form, e.g. U-1."))
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="units",
        help_text=_("Deleting the department deletes its units."),
    )
    heads = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="headed_units", blank=True, help_text=_("People who lead it.")
    )
    history = ChangeHistory()

    class Meta:
        ordering = ["name"]
        constraints = [unique_name_in_any_case("unit")]

    def __str__(self):
        return self.name
