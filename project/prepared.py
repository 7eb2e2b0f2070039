"""Hot reads that the ORM compiles once: each request only binds its values and builds the objects.

Django turns a queryset into SQL every time it is evaluated. For the hottest reads that is most of the
request: a person with their department, unit, designation and three counts takes about 1 ms of CPU to
compile, where running it and building the objects takes a third of that (measured; see bench/).
`PreparedQuery` compiles a queryset once per thread and database alias, with placeholder values, and
afterwards only puts the call's values in the compiled parameters:

    person_by_pk = PreparedQuery(lambda pk: user_list().filter(pk=pk), pk=int)
    person_by_pk.get(pk=5)                 # like user_list().get(pk=5): same SQL, same objects
    person_by_pk.list(pk=5, limit=10)      # like user_list().filter(pk=5)[:10]
    person_by_pk.count(pk=5)               # like user_list().filter(pk=5).count()
    person_by_pk.sequence(pk=5)            # for a Paginator: count() and slices, each prepared

The queryset is still the definition: the SQL sent is exactly what the ORM sends for it (the tests
compare them on every engine), the rows go through the same database converters, and the objects are
built as QuerySet iteration builds them (`Model.from_db`, select_related, annotations), or as dicts for a
`values()` queryset. What cannot be prepared fails loudly when first compiled: a parameter the ORM does
not pass through unchanged (say `username__contains`, which wraps it in %), prefetch_related, a related
manager's queryset. LIMIT/OFFSET are part of the SQL text, so each distinct slice is compiled once (the
most recent `SLICES_KEPT` per thread).
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS, ModelIterable, ValuesIterable, get_related_populators

SLICES_KEPT = 64  # compiled slices kept per prepared query and thread

# Placeholder values: inside every engine's 32-bit integer range (Django turns an out-of-range integer
# lookup into an empty result), and strings no one types.
_INT_MARKER_BASE = -1_987_654_321


_DATETIME_MARKER = datetime.datetime(1901, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
_DATETIME_FIELD = models.DateTimeField()


def _marker(position: int, name: str, kind: type) -> Any:
    if kind is int:
        return _INT_MARKER_BASE - position
    if kind is str:
        return f"\x1eprepared:{name}\x1e"
    if kind is datetime.datetime:  # compared with a DateTimeField
        return _DATETIME_MARKER + datetime.timedelta(microseconds=position)
    raise TypeError(f"PreparedQuery parameter {name!r}: int, str or datetime, not {kind!r}")


class _Captured(Exception):
    """Raised by the capturing execute wrapper: the statement a terminal operation would have sent."""


def _capture_count(execute, sql, params, many, context):
    """An execute wrapper: stops the COUNT statement before it is sent (anything else, such as the
    statements a new connection or a first feature check sends, runs as usual)."""
    if sql.startswith("SELECT COUNT(*)"):
        raise _Captured(sql, params)
    return execute(sql, params, many, context)


@dataclass
class _Compiled:
    sql: str
    params: tuple | None
    slots: tuple[tuple[int, str], ...]  # (index in params, parameter name)
    compiler: Any = None  # None for a count
    build_rows: Callable[[list], list] | None = None


class PreparedQuery:
    """A queryset compiled once per thread and alias; see the module docstring."""

    def __init__(self, build: Callable[..., QuerySet], /, **params: type):
        self._build = build
        self._params = params
        self._markers = {name: _marker(i, name, kind) for i, (name, kind) in enumerate(params.items())}
        self._model = None
        self._local = threading.local()

    # --- reads -----------------------------------------------------------------------------------

    def list(self, *, offset: int = 0, limit: int | None = None, **values) -> list:
        """The rows of `queryset[offset:offset + limit]` (model instances, or dicts for values())."""
        if limit is not None and limit <= 0:
            return []  # the ORM would not send a query either
        high = None if limit is None else offset + limit
        return self._rows(("slice", offset, high), values)

    def get(self, **values):
        """Like QuerySet.get(): the one row, else the model's DoesNotExist or MultipleObjectsReturned."""
        rows = self._rows(("get",), values)
        if len(rows) == 1:
            return rows[0]
        model = self.model
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")

    def count(self, **values) -> int:
        """Like QuerySet.count()."""
        compiled, alias = self._compiled(("count",))
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, self._bind(compiled, values, alias))
            return cursor.fetchone()[0]

    def sequence(self, *, each: Callable[[Any], None] | None = None, **values) -> PreparedSequence:
        """What a Paginator pages through: count() and slicing, both prepared; `each(row)` on every row read."""
        return PreparedSequence(self, values, each)

    @property
    def model(self):
        if self._model is None:
            self._model = self._build(**self._markers).model
        return self._model

    # --- compiling -------------------------------------------------------------------------------

    def _rows(self, shape: tuple, values: dict) -> list:
        compiled, alias = self._compiled(shape)
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, self._bind(compiled, values, alias))
            rows = cursor.fetchall()
        return compiled.build_rows(rows)

    def _bind(self, compiled: _Compiled, values: dict, alias: str) -> list | None:
        if values.keys() != self._params.keys():
            raise TypeError(f"PreparedQuery takes {sorted(self._params)}, got {sorted(values)}")
        if compiled.params is None:  # a statement without parameters, passed as the ORM passes it
            return None
        params = list(compiled.params)
        for index, name in compiled.slots:
            params[index] = self._adapt(values[name], name, alias)
        return params

    def _adapt(self, value, name: str, alias: str):
        """A value as the ORM passes it to the driver (a datetime as its DateTimeField adapts it)."""
        if self._params[name] is not datetime.datetime:
            return value
        return _DATETIME_FIELD.get_db_prep_value(value, connections[alias])

    def _compiled(self, shape: tuple) -> tuple[_Compiled, str]:
        alias = router.db_for_read(self.model)
        cache = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = OrderedDict()
        key = (alias, *shape)
        compiled = cache.get(key)
        if compiled is None:
            compiled = cache[key] = self._compile(alias, shape)
            if len(cache) > SLICES_KEPT:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return compiled, alias

    def _compile(self, alias: str, shape: tuple) -> _Compiled:
        queryset = self._build(**self._markers).using(alias)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ImproperlyConfigured(
                "PreparedQuery: prefetch_related and related managers' querysets are not supported"
            )
        if shape[0] == "count":
            sql, params = self._captured_count(alias, queryset.count)
            return _Compiled(sql, params, self._slots(params or (), alias))
        if shape[0] == "get":
            queryset = queryset.order_by()[:MAX_GET_RESULTS]
        elif shape[1] or shape[2] is not None:
            queryset = queryset[shape[1] : shape[2]]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, annotation_col_map
        if queryset._iterable_class is ModelIterable:
            build_rows = _instances(compiler, alias)
        elif queryset._iterable_class is ValuesIterable:
            build_rows = _dicts(compiler)
        else:
            raise ImproperlyConfigured("PreparedQuery: a model or values() queryset, not values_list() or others")
        return _Compiled(sql, tuple(params), self._slots(params, alias), compiler, build_rows)

    @staticmethod
    def _captured_count(alias: str, count: Callable) -> tuple[str, tuple | None]:
        """The COUNT statement (and its parameters, as the ORM passes them) `count()` sends, caught unsent."""
        connection = connections[alias]
        connection.ensure_connection()
        with connection.execute_wrapper(_capture_count):
            try:
                count()
            except _Captured as captured:
                if connection.queries_logged:  # DEBUG or a test's query capture logged it: it was never sent
                    connection.queries_log.pop()
                return captured.args
        raise ImproperlyConfigured("PreparedQuery: count() sent no COUNT statement")

    def _slots(self, params, alias: str) -> tuple[tuple[int, str], ...]:
        slots = []
        for name, marker in self._markers.items():
            marker = self._adapt(marker, name, alias)
            found = [i for i, p in enumerate(params) if type(p) is type(marker) and p == marker]
            if not found:
                raise ImproperlyConfigured(
                    f"PreparedQuery: parameter {name!r} does not reach the SQL unchanged (a lookup that "
                    "transforms its value, or one the query does not use); it cannot be prepared"
                )
            slots.extend((i, name) for i in found)
        return tuple(slots)


def _row_reader(compiler) -> Callable[[list], Iterator]:
    """The rows as QuerySet iteration gets them: ordering-only columns cut, database converters applied."""
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)
    composite = compiler.has_composite_fields(fields)
    extra = compiler.has_extra_select

    def read(rows: list) -> Iterator:
        if extra:
            rows = [row[: compiler.col_count] for row in rows]
        if converters:
            rows = compiler.apply_converters(rows, converters)
        if composite:
            rows = compiler.composite_fields_to_tuples(rows, fields)
        return rows

    return read


def _instances(compiler, alias: str) -> Callable[[list], list]:
    """Model instances as ModelIterable builds them (from_db, select_related objects, annotations)."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model = klass_info["model"]
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    annotations = tuple(annotation_col_map.items())
    read = _row_reader(compiler)

    def build(rows: list) -> list:
        objects = []
        for row in read(rows):
            obj = model.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    return build


def _dicts(compiler) -> Callable[[list], list]:
    """Dicts as ValuesIterable builds them."""
    query = compiler.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    read = _row_reader(compiler)

    def build(rows: list) -> list:
        return [dict(zip(names, row, strict=True)) for row in read(rows)]

    return build


class PreparedSequence:
    """A prepared query with its values, as a Paginator (Django's or DRF's) pages through it."""

    ordered = True  # the prepared querysets are ordered (Paginator warns about unordered querysets)

    def __init__(self, query: PreparedQuery, values: dict, each: Callable[[Any], None] | None = None):
        self.query = query
        self.values = values
        self.each = each

    def count(self) -> int:
        return self.query.count(**self.values)

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step is not None or (item.start or 0) < 0:
            raise TypeError("PreparedSequence takes a slice [start:stop]")
        start = item.start or 0
        limit = None if item.stop is None else max(item.stop - start, 0)
        rows = self.query.list(offset=start, limit=limit, **self.values)
        if self.each is not None:
            for row in rows:
                self.each(row)
        return rows
