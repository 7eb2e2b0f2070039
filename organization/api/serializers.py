from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from organization.models import Cadre, Department, Designation, Unit
from project.api import NestedPrimaryKeyField

User = get_user_model()


def name_unique_in_any_case(model) -> dict:
    """extra_kwargs: the name is checked like the database does, in any letter case."""
    message = f"A {model._meta.verbose_name} with that name already exists."
    return {"name": {"validators": [UniqueValidator(model.objects.all(), message=message, lookup="iexact")]}}


def heads_field():
    return NestedPrimaryKeyField(
        many=True, required=False, queryset=User.objects.all(), fields=("username",), help_text="User ids."
    )


class UnitSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ("id", "name", "abbr")


class DepartmentSerializer(serializers.ModelSerializer):
    units = UnitSummarySerializer(many=True, read_only=True)
    heads = heads_field()

    class Meta:
        model = Department
        extra_kwargs = name_unique_in_any_case(Department)
        fields = ("id", "name", "abbr", "kind", "units", "heads")


class UnitSerializer(serializers.ModelSerializer):
    department = NestedPrimaryKeyField(queryset=Department.objects.all(), fields=("name", "abbr"))
    heads = heads_field()

    class Meta:
        model = Unit
        extra_kwargs = name_unique_in_any_case(Unit)
        fields = ("id", "name", "abbr", "department", "heads")


class CadreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cadre
        extra_kwargs = name_unique_in_any_case(Cadre)
        fields = ("id", "name")


class DesignationSerializer(serializers.ModelSerializer):
    cadre = NestedPrimaryKeyField(queryset=Cadre.objects.all())

    class Meta:
        model = Designation
        extra_kwargs = name_unique_in_any_case(Designation)
        fields = ("id", "name", "abbr", "cadre")
