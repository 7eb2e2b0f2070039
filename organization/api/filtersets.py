import django_filters

from core.filters import IdFilter
from organization.models import Department, Designation, Unit


class DepartmentFilter(django_filters.FilterSet):
    class Meta:
        model = Department
        fields = ("kind",)


class UnitFilter(django_filters.FilterSet):
    department = IdFilter()

    class Meta:
        model = Unit
        fields = ("department",)


class DesignationFilter(django_filters.FilterSet):
    cadre = IdFilter()

    class Meta:
        model = Designation
        fields = ("cadre",)
