"""What every API view shares: pagination, permissions, error answers and a nested related field."""

from collections import defaultdict

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    """`?page=` and `?page_size=` (default 20, at most 100) → {count, next, previous, results}."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class IsStaffOrReadOnly(permissions.BasePermission):
    """Authenticated people read; only staff write."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.is_staff


class IsOwnerOrStaff(permissions.BasePermission):
    """Reading is open; changing an object is for its owner or staff.

    The owner's id is the object's attribute named by the view's `owner_id_field` ("pk" for a person,
    "author_id" for a post).
    """

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS or request.user.is_staff:
            return True
        return getattr(obj, view.owner_id_field) == request.user.pk


class DetailWithoutFilters:
    """A viewset mixin: filters and search narrow lists; a detail route finds its object by id alone.

    DRF's get_object() runs the list's filter backends too, building a FilterSet on every detail
    request (about 0.4 ms); the schema documents the filters on lists only.
    """

    DETAIL_ACTIONS = ("retrieve", "update", "partial_update", "destroy")

    def filter_queryset(self, queryset):
        if self.action in self.DETAIL_ACTIONS:
            return queryset
        return super().filter_queryset(queryset)


def exception_handler(exc, context):
    """DRF's handler, plus: Django's ValidationError → 400 and a blocked delete (PROTECT) → 409."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(as_serializer_error(exc))
    if isinstance(exc, ProtectedError):
        return Response(protected_error_body(exc), status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def protected_error_body(exc: ProtectedError) -> dict:
    """{"detail": …, "blocked_by": {"<model>": [ids…]}} for a delete that a block rule forbids."""
    blocked_by = defaultdict(list)
    for obj in exc.protected_objects:
        blocked_by[obj._meta.model_name].append(obj.pk)
    names = ", ".join(sorted(blocked_by))
    return {
        "detail": f"Cannot delete: it is still used by {names}. Remove or reassign those first.",
        "blocked_by": {model: sorted(ids) for model, ids in blocked_by.items()},
    }


class NestedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """Reads as {"id", <label fields>…}, writes as a bare id: one field for both directions."""

    def __init__(self, *, fields=("name",), **kwargs):
        self.shown_fields = fields
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        return {"id": value.pk, **{name: getattr(value, name) for name in self.shown_fields}}
