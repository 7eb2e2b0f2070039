from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets

from core.api import StaffModelPermissions
from organization import services
from organization.api.filtersets import DepartmentFilter, DesignationFilter, UnitFilter
from organization.api.serializers import CadreSerializer, DepartmentSerializer, DesignationSerializer, UnitSerializer
from organization.selectors import cadre_list, department_list, designation_list, unit_list

BLOCKED = OpenApiResponse(
    inline_serializer(
        "Blocked",
        {
            "detail": serializers.CharField(),
            "blocked_by": serializers.DictField(
                child=serializers.ListField(child=serializers.IntegerField()),
                help_text="Model name → ids of the rows in the way.",
            ),
        },
    ),
    description='Blocked by a delete rule (PROTECT): {"detail", "blocked_by": {"<model>": [ids]}}; nothing changed.',
)


class OrganizationViewSet(viewsets.ModelViewSet):
    """Read: signed-in people. Write: staff with the model's add, change or delete permission.

    Writes go through organization.services; the serializers only validate.
    """

    permission_classes = [StaffModelPermissions]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        record = serializer.Meta.model()
        services.organization_record_save(record=record, fields=dict(serializer.validated_data))
        serializer.instance = record

    def perform_update(self, serializer):
        services.organization_record_save(record=serializer.instance, fields=dict(serializer.validated_data))

    def perform_destroy(self, instance):
        services.organization_record_delete(record=instance)


@extend_schema_view(
    destroy=extend_schema(
        description="Deletes the department **and all its units** (cascade); its people and the units' people "
        "stay, with their department and unit cleared.",
    )
)
class DepartmentViewSet(OrganizationViewSet):
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    search_fields = ("name", "abbr")

    def get_queryset(self):
        return department_list()


@extend_schema_view(destroy=extend_schema(description="Deletes the unit; its people stay, with their unit cleared."))
class UnitViewSet(OrganizationViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    search_fields = ("name", "abbr")

    def get_queryset(self):
        return unit_list()


@extend_schema_view(
    destroy=extend_schema(
        description="Blocked (409) while the cadre has designations.", responses={204: None, 409: BLOCKED}
    )
)
class CadreViewSet(OrganizationViewSet):
    serializer_class = CadreSerializer
    search_fields = ("name",)

    def get_queryset(self):
        return cadre_list()


@extend_schema_view(
    destroy=extend_schema(
        description="Blocked (409) while someone holds the designation.", responses={204: None, 409: BLOCKED}
    )
)
class DesignationViewSet(OrganizationViewSet):
    serializer_class = DesignationSerializer
    filterset_class = DesignationFilter
    search_fields = ("name", "abbr")

    def get_queryset(self):
        return designation_list()
