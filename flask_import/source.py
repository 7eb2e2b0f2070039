"""Reading a Flask app's database, read only, through a Django connection of its own.

The URL takes the forms of our own `DATABASE_URL` (django-environ): `sqlite:///…`, `postgres://…`,
`mysql://…`. The connection is a separate `ConnectionHandler`, never one of the project's databases.
"""

import datetime
import os
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.db.utils import ConnectionHandler
from django.utils.dateparse import parse_datetime

# Read-only sessions: nothing the import does can change the source.
READ_ONLY_OPTIONS = {
    "postgresql": {"options": "-c default_transaction_read_only=on"},
    "mysql": {"init_command": "SET SESSION TRANSACTION READ ONLY"},
}


class SourceError(Exception):
    """The source cannot be read as the expected database: one line that says why."""


def masked(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def utc(value) -> datetime.datetime | None:
    """A source timestamp (naive UTC, as Flask-SQLAlchemy writes them; a string on SQLite) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValueError(f"not a date and time: {value!r}")
        value = parsed
    elif not isinstance(value, datetime.datetime):  # a DATE column
        value = datetime.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


class Source:
    """A Flask app's database. `check()` first: it connects and checks the tables and columns read later."""

    def __init__(self, url: str):
        self.url = url
        try:
            config = environ.Env.db_url_config(url)
        except (ImproperlyConfigured, KeyError, ValueError) as exc:
            raise SourceError(f"Not a database URL: {masked(url)} (sqlite:///…, postgres://… or mysql://…)") from exc
        engine = config.get("ENGINE", "")
        vendor = engine.rsplit(".", 1)[-1]
        if vendor not in ("sqlite3", "postgresql", "mysql"):
            raise SourceError(f"Unsupported source database: {masked(url)} (sqlite:///…, postgres://… or mysql://…)")
        options = dict(config.get("OPTIONS") or {})
        if vendor == "sqlite3":
            config["NAME"] = os.path.abspath(config["NAME"])
        self.identity = identity(vendor, config)
        if vendor == "sqlite3":
            # mode=ro: a missing file is an error, never a new empty database
            config["NAME"] = f"file:{quote(str(config['NAME']))}?mode=ro"
            options["uri"] = True
        else:
            options.update(READ_ONLY_OPTIONS[vendor])
            options.setdefault("connect_timeout", 5)
        config["OPTIONS"] = options
        try:
            self.connection = ConnectionHandler({"default": config})["default"]
        except ImproperlyConfigured as exc:  # e.g. the MySQL driver is not installed
            raise SourceError(f"Cannot use {masked(url)}: {first_line(exc)}") from exc

    def check(self, schema: dict[str, Iterable[str]], kind: str) -> None:
        """Connect, and make sure every table of `schema` has its columns; else SourceError naming what is missing."""
        try:
            with self.connection.cursor() as cursor:
                tables = set(self.connection.introspection.table_names(cursor))
                for table, columns in schema.items():
                    if table not in tables:
                        raise SourceError(f"The source is not a {kind} database: it has no table {table!r}.")
                    present = {c.name for c in self.connection.introspection.get_table_description(cursor, table)}
                    for column in columns:
                        if column not in present:
                            raise SourceError(
                                f"The source is not a {kind} database: table {table!r} has no column {column!r}."
                            )
        except DatabaseError as exc:
            raise SourceError(f"Cannot read the source {masked(self.url)}: {first_line(exc)}") from exc

    def rows(self, table: str, columns: Iterable[str]) -> list[tuple]:
        """Every row of `table` (those columns), in the order of the first two columns (the id, or the pair)."""
        quote = self.connection.ops.quote_name
        columns = list(columns)
        order = ", ".join(map(quote, columns[:2]))
        sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)} ORDER BY {order}"
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        except DatabaseError as exc:
            raise SourceError(f"Cannot read table {table!r} of the source: {first_line(exc)}") from exc

    def close(self) -> None:
        self.connection.close()


def identity(vendor: str, config: dict) -> str:
    """What the import's map calls a source database: engine, host, port and name (no user, no password)."""
    if vendor == "sqlite3":
        return f"sqlite:{config['NAME']}"[-200:]
    return f"{vendor}://{config.get('HOST') or 'localhost'}:{config.get('PORT') or ''}/{config['NAME']}"[-200:]


def first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
