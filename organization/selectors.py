"""Reads about the organization, with relations loaded so lists stay flat in queries."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from organization.models import Cadre, Department, Designation, Unit

_heads = Prefetch("heads", queryset=User.objects.only("id", "username").order_by("username"))


def department_list() -> QuerySet[Department]:
    return Department.objects.prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("name")), _heads)


def unit_list() -> QuerySet[Unit]:
    return Unit.objects.select_related("department").prefetch_related(_heads)


def cadre_list() -> QuerySet[Cadre]:
    return Cadre.objects.all()


def designation_list() -> QuerySet[Designation]:
    return Designation.objects.select_related("cadre")


def members_of(*, department: Department | None = None, unit: Unit | None = None) -> QuerySet[User]:
    """People of a department or unit, with designation and unit loaded, by username."""
    qs = User.objects.select_related("designation", "unit").order_by("username")
    if department is not None:
        qs = qs.filter(department=department)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs
