from django.contrib.auth import get_user_model
from django.db.models import Value
from django.db.models.functions import Lower
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from core.api import NestedPrimaryKeyField
from organization.models import NAME_TAKEN, Cadre, Department, Designation, Unit

User = get_user_model()


class LowerUniqueValidator(UniqueValidator):
    """Unique as the database's index sees it: LOWER(name), the expression of the unique constraint.

    Not `iexact`, which PostgreSQL runs as UPPER() = UPPER(): the Kelvin sign (U+212A) and the dotted
    capital I (U+0130) upper-case to themselves but lower-case to "k" and "i", so a name spelled with one
    passed that check and then broke the index (an IntegrityError, a 500).
    """

    def filter_queryset(self, value, queryset, field_name):
        return queryset.annotate(_name_lower=Lower(field_name)).filter(_name_lower=Lower(Value(value)))


def name_unique_in_any_case(model) -> dict:
    """extra_kwargs: the name is checked like the database does, in any letter case."""
    message = NAME_TAKEN[model._meta.model_name]
    return {"name": {"validators": [LowerUniqueValidator(model.objects.all(), message=message)]}}


def heads_field():
    return NestedPrimaryKeyField(
        many=True,
        required=False,
        queryset=User.objects.all(),
        fields=("username",),
        help_text="The heads: user ids when writing, {id, username} of each when reading.",
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
