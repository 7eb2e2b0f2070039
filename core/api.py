"""What every API view shares: pagination, permissions, error answers and a nested related field."""

import math
from collections import defaultdict

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext, gettext_noop, ngettext
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.caching import cached
from core.filters import MAX_ID
from core.pages import Counted


class Pagination(PageNumberPagination):
    """`?page=` and `?page_size=` (default 20, at most 100) → {count, next, previous, results}."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response_schema(self, schema):
        """The page's schema: all four keys are always there (next and previous null at the ends)."""
        paginated = super().get_paginated_response_schema(schema)
        return {**paginated, "required": list(paginated["properties"])}


def parse_id(value: str) -> int | None:
    """A database id from a URL, as the ORM reads `pk=value` (int()), or None where no row can match."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 1 <= pk <= MAX_ID else None


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Signed-in people read; staff write, with the model's add, change or delete permission.

    The admin's rule: staff status lets one in, the model permission (given to the person or a group
    of theirs in the admin) decides what one may change. A superuser has every permission but is
    refused here unless also staff, as in the admin.
    """

    def has_permission(self, request, view):
        if request.method not in permissions.SAFE_METHODS and not request.user.is_staff:
            return False
        return super().has_permission(request, view)


def staff_may_change(user, method: str, obj) -> bool:
    """Whether `user` may make this change (PUT/PATCH/DELETE) to someone else's `obj`: staff with the model's
    change or delete permission; a superuser's account is for superusers only (its email is the way into it).
    """
    if not user.is_staff or (getattr(obj, "is_superuser", False) and not user.is_superuser):
        return False
    return user.has_perms(StaffModelPermissions().get_required_permissions(method, type(obj)))


class IsOwnerOrStaff(permissions.BasePermission):
    """Reading is open; changing an object is for its owner, or for staff with the model's permission.

    The owner's id is the object's attribute named by the view's `owner_id_field` ("pk" for a person,
    "author_id" for a post). Staff change other people's things with the model's change or delete
    permission (`staff_may_change`).
    """

    def has_object_permission(self, request, view, obj):
        user = request.user
        if request.method in permissions.SAFE_METHODS or getattr(obj, view.owner_id_field) == user.pk:
            return True
        return staff_may_change(user, request.method, obj)


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


class ZipDownloadNegotiation(DefaultContentNegotiation):
    """For a view that answers a ZIP file: a client that asks for `application/zip` (as one generated from the
    schema does) gets the file, or an error in JSON; any other Accept is negotiated as everywhere else.

    The file is a plain Django response, which no renderer makes, so DRF's own negotiation would answer that
    client 406 before the view runs. (DRF's docs: "Custom content negotiation".)
    """

    media_type = "application/zip"

    def select_renderer(self, request, renderers, format_suffix=None):
        if any(accepted.split(";")[0].strip() == self.media_type for accepted in self.get_accept_list(request)):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class CachedList:
    """A list view mixin: a list asked for with paging parameters only is answered from the shared cache.

    The answer's count and results are kept under the path, the page, the page size, the host (the
    answers hold absolute URLs) and the viewer (some fields are only for the viewer), with the versions of
    `list_scopes()` (core.caching), which must name everything the answer depends on: a write to any of it
    makes the next request read it again. With any other parameter (a filter, a search) the list is read
    from the database as usual.
    """

    def list_scopes(self) -> tuple[str, ...]:
        raise NotImplementedError

    def list_count(self) -> int | None:
        """The whole list's number of rows where the view knows it without counting them (else None: COUNT)."""
        return None

    def list(self, request, *args, **kwargs):
        paginator = self.paginator
        params = request.query_params
        if not params.keys() <= {paginator.page_query_param, paginator.page_size_query_param}:
            return super().list(request, *args, **kwargs)

        def read() -> dict:
            rows, total = self.filter_queryset(self.get_queryset()), self.list_count()
            page = self.paginate_queryset(rows if total is None else Counted(rows, total))
            return {"count": paginator.page.paginator.count, "results": self.get_serializer(page, many=True).data}

        number, size = params.get(paginator.page_query_param, "1"), paginator.get_page_size(request)
        name = f"api:{request.path}:{number}:{size}:{request.get_host()}:{request.is_secure()}:{request.user.pk}"
        answer = cached(name, read, scopes=self.list_scopes())
        # The page as DRF's paginator would have it, for its links, without reading the database again.
        counted = Paginator(Counted((), answer["count"]), size)
        number = counted.validate_number(paginator.get_page_number(request, counted))
        paginator.page = Page(answer["results"], number, counted)
        paginator.request = request
        paginator.display_page_controls = counted.num_pages > 1 and paginator.template is not None
        return paginator.get_paginated_response(answer["results"])


CONCURRENT_CHANGE = gettext_noop("This conflicts with a change made at the same time. Reload and try again.")


def exception_handler(exc, context):
    """DRF's handler, plus: Django's ValidationError → 400, a blocked delete (PROTECT) and a lost race → 409.

    Every 400 for invalid input is an object of field or non_field_errors → messages, as the schema and
    the README say: a bare list (DRF's search filter on a NUL character) and Django's "__all__" (a model
    constraint, such as a username taken in another letter case) both go under non_field_errors.
    """
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = ValidationError(detail)
    if isinstance(exc, ValidationError) and not isinstance(exc.detail, dict):
        exc = ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
    if isinstance(exc, ProtectedError):
        return Response(protected_error_body(exc), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        # Validation passed, then a concurrent write won at a database constraint: the request lost a race.
        return Response({"detail": gettext(CONCURRENT_CHANGE)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # "Not found.", translated; get_object_or_404's "No User matches …" never is
    if isinstance(exc, exceptions.Throttled) and not isinstance(exc, Throttled):
        exc = Throttled(wait=exc.wait)  # a throttle class's 429 (DRF's view.throttled passes the wait alone)
    return drf_exception_handler(exc, context)


class Throttled(exceptions.Throttled):
    """DRF's 429 with "Expected available in N seconds." in the reader's language too.

    DRF formats that sentence before looking up its translation, so the lookup never matches.
    """

    def __init__(self, wait=None, detail=None, code=None):
        super().__init__(detail=detail, code=code)
        if wait is not None:
            self.wait = math.ceil(wait)
            extra = ngettext("Expected available in {wait} second.", "Expected available in {wait} seconds.", self.wait)
            self.detail = ErrorDetail(f"{self.detail} {extra.format(wait=self.wait)}", self.detail.code)


def protected_error_body(exc: ProtectedError) -> dict:
    """{"detail": …, "blocked_by": {"<model>": [ids…]}} for a delete that a block rule forbids."""
    blocked_by = defaultdict(list)
    for obj in exc.protected_objects:
        blocked_by[obj._meta.model_name].append(obj.pk)
    names = ", ".join(sorted(blocked_by))
    return {
        "detail": gettext("Cannot delete: it is still used by %(names)s. Remove or reassign those first.")
        % {"names": names},
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
