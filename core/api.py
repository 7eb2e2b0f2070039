"""What every API view shares: pagination, permissions, error answers and a nested related field."""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.utils.translation import gettext, ngettext
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.caching import cached, counted_lookup, counts_with_lookups
from core.filters import MAX_ID
from core.middleware import CONCURRENT_CHANGE
from core.pages import Counted
from core.throttling import FixedWindowThrottle


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


def answer_key(view, name: str) -> str | None:
    """The cache key of the answer `name` as the request's renderer writes it, or None for a renderer whose
    answers are not kept (not JSON: the browsable API, a page for people exploring).

    Kept rendered, per `indent`: the one thing the JSON media type can change (`?format=`, `; indent=4`)."""
    renderer, media_type = view.request.accepted_renderer, view.request.accepted_media_type
    if not isinstance(renderer, JSONRenderer):
        return None
    return f"{name}:json:{renderer.get_indent(media_type, view.get_renderer_context())}"


def cached_answer(view, name: str, read: Callable[[], Any], scopes: Iterable[str]) -> HttpResponseBase:
    """The answer `read()` gives (its data), kept in the shared cache as the JSON the client is sent.

    Rendered once by the renderer DRF chose for the request (`answer_key`): a hit sends the bytes as they are,
    with no rendering and no objects to rebuild. `name` must say everything else the answer depends on; `scopes`
    are its versions (core.caching). Other renderers get `read()` as a plain Response, read every time. Where
    the view looked the answer up already, with the request's throttles (`KeptAnswers`), that lookup is used.
    """
    key = answer_key(view, name)
    if key is None:
        return Response(read())
    renderer, context = view.request.accepted_renderer, view.get_renderer_context()

    def rendered() -> bytes:
        return renderer.render(read(), view.request.accepted_media_type, context)

    looked_up = getattr(view, "looked_up", None)
    found = looked_up[1] if looked_up is not None and looked_up[0] == key else None
    body = cached(key, rendered, scopes=scopes, looked_up=found)
    return HttpResponse(body, content_type=renderer.media_type)


class KeptAnswers:
    """A view mixin for answers kept in the shared cache (`cached_answer`): a request's throttles are counted in
    the same round trip that looks its answer up.

    A hit is then one round trip to Redis instead of two (count, then look up): the largest part of a hit's cost
    after Django's and DRF's own (README, Performance). Where the caches are not one Redis (the file cache),
    or the answer is not kept, the throttles count as DRF's `check_throttles` does. Either way every request is
    counted before the view runs, and one over the limit is refused with 429.
    """

    looked_up: tuple[str, tuple[str, Any]] | None = None  # (key, what lookup() gave), set by check_throttles

    def kept_answer(self) -> tuple[str, tuple[str, ...]] | None:
        """(name, scopes) of the answer this request gets from `cached_answer`, or None (read afresh)."""
        return None

    def check_throttles(self, request):
        kept = self.kept_answer() if counts_with_lookups() else None
        key = None if kept is None else answer_key(self, kept[0])
        throttles = self.get_throttles()
        if key is not None and all(isinstance(throttle, FixedWindowThrottle) for throttle in throttles):
            counted = [(throttle, throttle.counter_key(request, self)) for throttle in throttles]
            counted = [(throttle, counter) for throttle, counter in counted if counter is not None]
            found = counted and counted_lookup([counter for _, counter in counted], key, kept[1])
            if found:
                counts, at, value = found
                self.looked_up = (key, (at, value))
                refused = [
                    throttle.wait()
                    for (throttle, counter), count in zip(counted, counts, strict=True)
                    if not throttle.allows(throttle.open(counter) if count is None else count)
                ]
                if refused:
                    self.throttled(request, max(refused))
                return
        super().check_throttles(request)


class CachedList(KeptAnswers):
    """A list view mixin: a list asked for with paging parameters only is answered from the shared cache.

    The answer, as DRF's list gives it, is kept rendered (`cached_answer`) under the path, the paging
    parameters, the host (the answers hold absolute links) and the viewer (some fields are only for the
    viewer), with the versions of `list_scopes()` (core.caching), which must name everything the answer
    depends on: a write to any of it makes the next request read it again. With any other parameter (a
    filter, a search) the list is read from the database as usual.
    """

    def list_scopes(self) -> tuple[str, ...]:
        raise NotImplementedError

    def list_count(self) -> int | None:
        """The number of rows of the whole list (`get_queryset()`, unfiltered) where the view knows it without
        counting them, else None (a COUNT)."""
        return None

    def unfiltered(self) -> bool:
        """Whether the request asks for the whole list (paging parameters at most)."""
        paginator = self.paginator
        return self.request.query_params.keys() <= {paginator.page_query_param, paginator.page_size_query_param}

    def paginate_queryset(self, queryset):
        whole_list = self._whole_list() and self.unfiltered()
        total = self.list_count() if whole_list else None
        return super().paginate_queryset(queryset if total is None else Counted(queryset, total))

    def _whole_list(self) -> bool:
        """Whether the request is for the view's list (a viewset's list action: not its other lists)."""
        return getattr(self, "action", "list") == "list" and self.request.method in ("GET", "HEAD")

    def paging_key(self) -> str | None:
        """The paging parameters as a key ("page=2&page_size=50"), or None when they are not written as the
        API writes them (page=01, page_size=abc or 500: answered, uncached), so that clients cannot make the
        cache keep one entry per spelling. The answer's links repeat the parameters as they were sent."""
        paginator, params = self.paginator, self.request.query_params
        limits = {paginator.page_query_param: None, paginator.page_size_query_param: paginator.max_page_size}
        for name in params:
            values = params.getlist(name)
            if name not in limits or len(values) != 1 or not _canonical_number(values[0], limits[name]):
                return None
        return "&".join(f"{name}={params[name]}" for name in sorted(params))

    def kept_answer(self):
        paging = self.paging_key() if self._whole_list() else None
        if paging is None:
            return None
        request = self.request
        name = f"api:list:{request.path}:{paging}:{request.get_host()}:{request.is_secure()}:{request.user.pk}"
        return name, self.list_scopes()

    def list(self, request, *args, **kwargs):
        kept = self.kept_answer()
        if kept is None:
            return super().list(request, *args, **kwargs)

        def read() -> dict:
            return super(CachedList, self).list(request, *args, **kwargs).data

        name, scopes = kept
        return cached_answer(self, name, read, scopes)


def _canonical_number(text: str, maximum: int | None) -> bool:
    """A positive number written as `str(n)`, at most `maximum`: "2", not "02", "+2", "²" or 5,000 digits."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18 and text == str(int(text))):
        return False
    return 0 < int(text) <= (maximum or int(text))


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
