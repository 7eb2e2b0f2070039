from django.contrib.auth import get_user_model
from rest_framework import serializers

from organization.models import Cadre, Department, Designation, Unit
from project.api import NestedPrimaryKeyField

User = get_user_model()


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
        fields = ("id", "name", "abbr", "kind", "units", "heads")


class UnitSerializer(serializers.ModelSerializer):
    department = NestedPrimaryKeyField(queryset=Department.objects.all(), fields=("name", "abbr"))
    heads = heads_field()

    class Meta:
        model = Unit
        fields = ("id", "name", "abbr", "department", "heads")


class CadreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cadre
        fields = ("id", "name")


class DesignationSerializer(serializers.ModelSerializer):
    cadre = NestedPrimaryKeyField(queryset=Cadre.objects.all())

    class Meta:
        model = Designation
        fields = ("id", "name", "abbr", "cadre")
