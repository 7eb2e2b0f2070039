"""One bulk writer for many rows of one model: `seed_db`'s volume mode and `import_flask` share it.

- PostgreSQL: `COPY … FROM STDIN` (psycopg 3), values adapted by psycopg. Without `with_ids`, one COPY
  takes all the rows as the iterable yields them (the caller's generator runs while the server inserts).
  With `with_ids`, one COPY per batch: its ids are reserved from the table's sequence first (one query)
  and copied in the id column.
- Elsewhere (SQLite, MariaDB/MySQL): one INSERT statement run over the batch (`executemany`; MySQLdb makes
  it multi-row INSERTs), with values prepared by `field.get_db_prep_save`. With `with_ids`: multi-row
  `INSERT … RETURNING id` where the database has it (SQLite ≥ 3.35, MariaDB ≥ 10.5: what `bulk_create`
  relies on for the order), else one INSERT per row and its `last_insert_id`.

Rows are tuples of Python values in the order of `fields`, as one would pass them to the model (aware
datetimes, ints for foreign keys). A field left out gets what a new model instance would get: its default
(the current time for `auto_now`/`auto_now_add`), or the database's `db_default`. Like `bulk_create`, no
signals are sent (no change history) and nothing is validated but by the database's own constraints: a
violation raises `django.db.IntegrityError`. write() must run inside `transaction.atomic()`, and any error
in it marks that block for rollback: the rows of a failed write are never half there.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice

from django.db import connections, router, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

AUTO_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField"}
# Field types whose Python values psycopg adapts as Django's get_db_prep_save would on PostgreSQL: COPY
# takes them as they are. Any other field's values go through get_db_prep_save (JSON, IP addresses, files…).
AS_IS_ON_POSTGRESQL = AUTO_FIELDS | {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BooleanField",
    "CharField",
    "TextField",
    "SlugField",
    "DateTimeField",
    "DateField",
    "TimeField",
    "DurationField",
    "DecimalField",
    "FloatField",
    "UUIDField",
}
ROWS_PER_RETURNING_INSERT = 1000  # where the database sets no limit on a statement's parameters
_END = object()


class BulkWriter:
    """Insert many rows of one model: COPY on PostgreSQL, batched INSERTs elsewhere."""

    def __init__(self, model, fields: Sequence[str], *, batch_size: int = 5000, progress=None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be 1 or more, not {batch_size}.")
        meta = model._meta
        if meta.parents:
            raise ValueError(f"{meta.label}: multi-table inheritance is not supported (rows in two tables).")
        self.model = model
        self.batch_size = batch_size
        self.progress = progress
        self.connection = connections[router.db_for_write(model)]
        self.fields = [_field(model, name) for name in fields]
        if len(set(self.fields)) != len(self.fields):
            raise ValueError(f"{meta.label}: a field is named twice in {list(fields)}.")
        # The fields left out, filled as a new instance would be (with only a db_default: by the database).
        self.filled = [
            f
            for f in meta.concrete_fields
            if f not in self.fields
            and not f.primary_key
            and not getattr(f, "generated", False)
            and (f.has_default() or not f.has_db_default())
        ]
        # An auto-increment id comes from the database; any other primary key from its default, here.
        self.auto_pk = _storage_type(meta.pk) in AUTO_FIELDS
        if not self.auto_pk and not meta.pk.has_default():
            raise ValueError(f"{meta.label}: its primary key is neither auto-increment nor has a default.")
        self.postgresql = self.connection.vendor == "postgresql"

    def write(self, rows: Iterable[Sequence], *, with_ids: bool = False) -> list[int] | int:
        """Insert `rows`, batch by batch; the number written, or with `with_ids` the new ids in row order."""
        if not self.connection.in_atomic_block:
            raise TransactionManagementError(
                f"BulkWriter({self.model._meta.label}).write() must run inside transaction.atomic(): the ids "
                "are reserved in the transaction, and a failure must take back the batches written before it."
            )
        complete = self._completer()
        iterator = iter(rows)
        try:
            if self.postgresql and self.auto_pk and not with_ids:
                return self._copy_stream(iterator, complete)
            ids: list = []
            written = 0
            while count := self._write_batch(iterator, complete, with_ids, ids):
                written += count
                if self.progress is not None:
                    self.progress.update(count)
            return ids if with_ids else written
        except BaseException:
            # All or nothing on every database (PostgreSQL has aborted the transaction anyway): the caller's
            # atomic block rolls back even if the exception is caught inside it.
            transaction.set_rollback(True, using=self.connection.alias)
            raise

    def _write_batch(self, iterator: Iterator[Sequence], complete, with_ids: bool, ids: list) -> int:
        """Write the next batch of rows, their new ids added to `ids`; how many (0: there were none left)."""
        batch = [complete(row) for row in islice(iterator, self.batch_size)]
        if not batch:
            return 0
        if self.auto_pk:
            ids += self._copy(batch, with_ids) if self.postgresql else self._insert(batch, with_ids)
        else:  # a primary key that is not auto-increment comes from its default, as in a new instance
            pk = self.model._meta.pk
            pks = [pk.get_default() for _ in batch]
            batch = [(pk.get_db_prep_save(v, self.connection), *row) for v, row in zip(pks, batch, strict=True)]
            (self._copy if self.postgresql else self._insert)(batch, False)
            ids += pks
        return len(batch)

    def _completer(self) -> Callable[[Sequence], Sequence]:
        """A function turning a row into what the database takes: its length checked, values through
        get_db_prep_save (on PostgreSQL only where psycopg's own adaptation would differ from Django's),
        then the fields left out, as a new instance would have them."""
        connection, label, width = self.connection, self.model._meta.label, len(self.fields)
        preps = [
            (i, f.get_db_prep_save)
            for i, f in enumerate(self.fields)
            if not (self.postgresql and _storage_type(f) in AS_IS_ON_POSTGRESQL)
        ]
        makers = [(f.get_db_prep_save, _default_maker(f)) for f in self.filled]
        constant = tuple(
            prep(f.get_default(), connection) for f, (prep, make) in zip(self.filled, makers, strict=True) if not make
        )
        if any(make for _, make in makers):
            constant = None  # a value per row for some: all made per row, in the columns' order
            makers = [(prep, make or f.get_default) for f, (prep, make) in zip(self.filled, makers, strict=True)]

        def complete(row: Sequence) -> Sequence:
            if len(row) != width:
                raise ValueError(f"{label}: {len(row)} values for {width} fields in {row!r}.")
            if preps:
                row = list(row)
                for i, prep in preps:
                    row[i] = prep(row[i], connection)
            if constant is None:
                return (*row, *(prep(make(), connection) for prep, make in makers))
            return (*row, *constant) if constant else row

        return complete

    def _columns(self, with_pk: bool) -> str:
        quote = self.connection.ops.quote_name
        columns = [quote(f.column) for f in self.fields + self.filled]
        return ", ".join([quote(self.model._meta.pk.column), *columns] if with_pk else columns)

    # --- PostgreSQL: COPY ------------------------------------------------------------------------------------

    def _copy_sql(self, with_pk: bool) -> str:
        return f"COPY {self.connection.ops.quote_name(self.model._meta.db_table)} ({self._columns(with_pk)}) FROM STDIN"

    def _copy_stream(self, iterator: Iterator[Sequence], complete) -> int:
        """All the rows in one COPY, sent as the iterator yields them (the caller's generator runs while the
        server inserts), the progress told every batch; how many."""
        first = next(iterator, _END)
        if first is _END:
            return 0
        rows, written = chain((first,), iterator), 0
        with (
            self.connection.wrap_database_errors,
            self.connection.cursor() as wrapper,
            wrapper.cursor.copy(self._copy_sql(False)) as copy,  # psycopg's own cursor: Django's has no copy()
        ):
            write_row = copy.write_row
            while True:
                count = 0
                for row in islice(rows, self.batch_size):
                    write_row(complete(row))
                    count += 1
                if not count:
                    return written
                written += count
                if self.progress is not None:
                    self.progress.update(count)

    def _copy(self, rows: list[Sequence], with_ids: bool) -> list:
        """COPY these rows (completed); with `with_ids`, reserve their ids first and copy them too."""
        meta = self.model._meta
        ids = []
        with self.connection.wrap_database_errors, self.connection.cursor() as wrapper:
            cursor = wrapper.cursor
            if with_ids:
                ids = _reserve_ids(cursor, self.connection.ops.quote_name(meta.db_table), meta.pk.column, len(rows))
                rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
            with cursor.copy(self._copy_sql(with_ids or not self.auto_pk)) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        return ids

    # --- elsewhere: INSERT -----------------------------------------------------------------------------------

    def _insert(self, rows: list[Sequence], with_ids: bool) -> list:
        """INSERT these rows (completed); with `with_ids`, their new ids in row order."""
        connection, meta = self.connection, self.model._meta
        width = len(rows[0])
        one_row = f"({', '.join(['%s'] * width)})"
        table = connection.ops.quote_name(meta.db_table)
        insert = f"INSERT INTO {table} ({self._columns(not self.auto_pk)}) VALUES "
        with connection.cursor() as cursor:
            if not with_ids:
                cursor.executemany(insert + one_row, rows)
                return []
            if not connection.features.can_return_rows_from_bulk_insert:
                ids = []
                for row in rows:
                    cursor.execute(insert + one_row, row)
                    ids.append(connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column))
                return ids
            returning, _ = connection.ops.return_insert_columns([meta.pk])
            per_statement = (connection.features.max_query_params or 0) // width or ROWS_PER_RETURNING_INSERT
            ids = []
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(
                    f"{insert}{', '.join([one_row] * len(chunk))} {returning}", [v for row in chunk for v in row]
                )
                ids.extend(pk for (pk,) in cursor.fetchall())
            return ids


def _field(model, name: str):
    """The concrete, non-primary-key field of `model` with this name or attname."""
    meta = model._meta
    for field in meta.concrete_fields:
        if name in (field.name, field.attname):
            if field.primary_key:
                raise ValueError(f"{meta.label}.{name} is the primary key: BulkWriter gives it (with_ids=True).")
            if getattr(field, "generated", False):
                raise ValueError(f"{meta.label}.{name} is generated by the database.")
            return field
    raise ValueError(f"{meta.label} has no concrete field {name!r}.")


def _storage_type(field) -> str:
    """The field's internal type, or for a foreign key that of the field it points to."""
    while field.is_relation:
        field = field.target_field
    return field.get_internal_type()


def _default_maker(field) -> Callable[[], object] | None:
    """A function giving a new value for each row where a new instance would get one (a callable default,
    auto_now and auto_now_add); None where the value is the same for every row."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now
    if field.has_default() and callable(field.default):
        return field.default
    return None


def _reserve_ids(cursor, table: str, column: str, count: int) -> list[int]:
    """`count` new ids from the sequence of `table` (quoted) and `column`, in one query."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count])
    return [pk for (pk,) in cursor.fetchall()]
