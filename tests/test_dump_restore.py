"""Data safety: the whole database, dumped on one engine and loaded on another, loses nothing.

A SQLite database is migrated and filled (`seed_db`, its volume mode, then awkward data: non-ASCII and emoji
text, 140-character bodies, NULLs and empty strings, timestamps with microseconds from 1900 to 9999, gaps and a
very high id, tokens, sessions, groups and hand-made permissions, admin log entries, heads), dumped, loaded
into a fresh PostgreSQL database, dumped from there and loaded into a fresh MariaDB database. Every table is
then read back through the ORM in a canonical form (every concrete field, datetimes as UTC ISO with
microseconds, auto-created M2M tables included, rows sorted in Python so that no collation decides the order)
and each table's row count and checksum must match on all three; afterwards every table must take a new row
(PostgreSQL sequences reset by loaddata, MariaDB AUTO_INCREMENT past the loaded ids).

The dump, as the README recommends it (both files into one `manage.py loaddata refs.yaml data.yaml`):

    manage.py dumpdata contenttypes auth.permission --all --natural-foreign --natural-primary --format yaml
    manage.py dumpdata --all --natural-foreign --exclude contenttypes --exclude auth.permission --format yaml

- YAML: Django's JSON encoder cuts datetimes to milliseconds, and XML strips leading and trailing spaces,
  turns \\r\\n into \\n and refuses control characters (the format tests below pin both).
- Content types and permissions: `migrate` on the target has already made them, with ids of its own. Dumped
  apart with natural keys as their identity, they are matched by (app_label, model) and codename instead of
  colliding, and any the target lacks (a hand-made permission, a stale content type) is added. Everything
  else keeps its ids (`--natural-primary` on the whole dump would renumber users and groups) and refers to
  content types and permissions by natural key. So those two tables, and the ids of auto-created M2M rows
  (which nothing refers to), are compared without their ids; `django_migrations` is written by `migrate`.
- `--all`: the base manager, so that no default manager can hide rows.

Names PostgreSQL holds apart (Rene/René, Strasse/Straße, two emoji) stay apart on MariaDB only under an
accent-sensitive collation: the project's utf8mb4_uca1400_nopad_as_ci (utf8mb4_unicode_ci would fold them,
and such a PostgreSQL dump would not load there); a test below pins it.

It needs both servers, so it runs in the PostgreSQL suite (DATABASE_URL=postgres://…: that server, with
MariaDB at DUMP_RESTORE_MYSQL_URL, default mysql://root@127.0.0.1:3306) and is skipped elsewhere with the
reason; REQUIRE_DUMP_RESTORE=1 (CI's PostgreSQL suite) turns the skip into a failure. It creates and drops its
own databases, <DATABASE_URL's name>_restore_<random>, on both servers; about 45 s on a busy 2-core machine.
One subprocess per database runs this module (`python -m tests.test_dump_restore source|target …`): the
commands as manage.py runs them, then the reading; the targets are migrated by `manage.py migrate` meanwhile.
"""

import contextlib
import hashlib
import itertools
import json
import os
import runpy
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180  # seconds for one subprocess on a busy machine
DUMP_OPTIONS = ["--all", "--natural-foreign", "--format", "yaml"]
DUMPS = {
    "refs.yaml": ["contenttypes", "auth.permission", "--natural-primary"],
    "data.yaml": ["--exclude", "contenttypes", "--exclude", "auth.permission"],
}
VOLUME = ["--users", "24", "--posts-per-user", "3", "--follows-per-user", "3"]
TARGETS = ["postgresql", "mariadb"]

# Text the app accepts (its forms refuse only NUL): each must come back unchanged from every engine (in YAML).
AWKWARD_TEXT = [
    "Élodie Dupré-Łukasiewicz",
    "👩🏽‍⚕️ on call ☕",
    "中文 · العربية · हिन्दी",
    "  leading and trailing  ",
    "line one\r\nline two\nline three\ttabbed",
    "form\x0cfeed, next\x85line, line\u2028separator",
    "e\u0301 decomposed, é composed, ß",
    "\ufeffbyte order mark",
    "<script>alert(\"x\")</script> & 'quotes'",
    "yes",
    "null",
    "~",
    "1e3",
]
MICROSECOND_TIMES = [
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2025, 3, 30, 2, 30, 0, 123_456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


# --- In the subprocesses: fill the source, read every table, insert new rows ---------------------------------


def _fill() -> None:
    """Awkward data on top of seed_db's, touching every table."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import Follow, User
    from flask_import.models import ImportedRow
    from organization.models import Cadre, Department, Designation, Unit
    from posts.models import Message, Post
    from posts.services import post_export_start

    emoji_140 = ("👩🏽‍⚕️ Ünïcödé ✓ " * 20)[:140]
    with transaction.atomic():
        User.objects.filter(pk=User.objects.order_by("pk")[10].pk).delete()  # a gap in users, posts, follows
        people = list(User.objects.order_by("pk"))
        later = people[-1]
        elodie = User.objects.create(
            username="élodie",
            email="elodie@example.org",
            full_name=AWKWARD_TEXT[0],
            about_me=emoji_140,
            employee_id="E-0001",
            mobile="+91 98100 12345",
            office_address=AWKWARD_TEXT[4],
            last_seen=MICROSECOND_TIMES[0],
            last_message_read_time=MICROSECOND_TIMES[3],
            is_staff=True,
            department=Department.objects.first(),
        )
        # created_by points forward (a higher id) and back at itself: loaddata must resolve both.
        User.objects.filter(pk=later.pk).update(created_by=elodie, deactivated_by=later, is_active=False)
        User.objects.filter(pk=people[0].pk).update(
            created_by=later, deactivated_at=MICROSECOND_TIMES[1], about_me=AWKWARD_TEXT[3]
        )
        blank = User.objects.create(username="中文用户", email="zh@example.org", full_name="", about_me="")
        visiting = Cadre.objects.create(pk=1_000_000, name="Visiting ✈️")  # the sequence must jump past it
        Designation.objects.create(name="Hôte 🎓", abbr="", cadre=visiting)
        eye = Department.objects.create(name="Œil & Vision 👁️", abbr="", kind=Department.Kind.CENTER)
        eye.heads.set([elodie, people[1]])
        cafe = Unit.objects.create(name="Unité ☕ 7", abbr="U☕", department=eye)
        cafe.heads.set([elodie])
        for n, body in enumerate([emoji_140, "😀" * 140, *AWKWARD_TEXT]):
            when = MICROSECOND_TIMES[n % len(MICROSECOND_TIMES)]
            Post.objects.create(author=elodie, body=body, timestamp=when)
            Message.objects.create(sender=elodie, recipient=people[n + 1], body=body, timestamp=when)
        Follow.objects.create(follower=elodie, followed=blank)
        # What import_flask made of a source row (its map).
        ImportedRow.objects.create(
            source="microblog", database="sqlite:/srv/microblog/app.db", table="user", source_id=7, object_id=elodie.pk
        )
        Follow.objects.filter(follower=elodie).update(created_at=MICROSECOND_TIMES[2])

        post_type = ContentType.objects.get_for_model(Post)
        stale = ContentType.objects.create(app_label="legacy", model="noticeboard")  # a model long removed
        custom = [
            Permission.objects.create(
                codename="publish_digest", name="Can publish the digest ✉️", content_type=post_type
            ),
            Permission.objects.create(codename="view_noticeboard", name="Can view noticeboards", content_type=stale),
        ]
        editors = Group.objects.create(name="Rédaction 📝")
        editors.permissions.set([*custom, Permission.objects.get(codename="change_post")])
        elodie.groups.set([editors, *Group.objects.exclude(pk=editors.pk)[:1]])
        elodie.user_permissions.set(custom)

        Token.objects.create(user=elodie)
        Token.objects.create(user=people[0])
        session = SessionStore()
        session.update({"_auth_user_id": str(elodie.pk), "note": AWKWARD_TEXT[1]})
        session.set_expiry(MICROSECOND_TIMES[0])
        session.create()
        LogEntry.objects.create(
            user=elodie,
            content_type=post_type,
            object_id=str(Post.objects.filter(author=elodie).first().pk),
            object_repr=emoji_140,
            action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": ["Body ✓"]}}], ensure_ascii=False),
            action_time=MICROSECOND_TIMES[3],
        )
        LogEntry.objects.create(user=elodie, content_type=None, object_repr="", action_flag=CHANGE)
    # An export waiting for a worker: its row and its job's row (the database task backend, on commit).
    post_export_start(user=elodie)


def _plain(value):
    """A JSON-ready value, the same on every engine for the same data."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return f"{type(value).__name__}:{value}"


def _canonical() -> dict:
    """Every table as {"fields", "rows"}, plus the tables no model covers."""
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    # Rows matched by natural key on load: their ids are the target's own, so they count by natural key.
    natural = {
        ContentType: {ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.all()},
        Permission: {
            p.pk: [p.codename, p.content_type.app_label, p.content_type.model]
            for p in Permission.objects.select_related("content_type")
        },
    }
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy:
            continue
        keep_pk = model not in natural and not meta.auto_created
        fields = [f for f in meta.concrete_fields if keep_pk or not f.primary_key]
        rows = [
            [
                natural[f.related_model][v] if v is not None and f.related_model in natural else _plain(v)
                for f, v in zip(fields, values, strict=True)
            ]
            for values in model._base_manager.values_list(*(f.attname for f in fields))
        ]
        rows.sort(key=(lambda row: row[0]) if keep_pk else json.dumps)
        tables[meta.db_table] = {"fields": [f.attname for f in fields], "rows": rows}
    return {"tables": tables, "unmodelled": sorted(set(connection.introspection.table_names()) - set(tables))}


def _probe() -> dict[str, str]:
    """Insert a new row into every table; table → "ok" or what went wrong (a sequence left behind, say)."""
    from django.apps import apps
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import models, transaction
    from django_tasks_db.models import DBTaskResult
    from rest_framework.authtoken.models import Token

    from accounts.models import Follow, User
    from flask_import.models import ImportedRow
    from organization.models import Cadre, Department, Designation, Unit
    from posts.models import Message, Post, PostCounter, PostExport
    from posts.tasks import export_posts

    n = itertools.count()
    post_type = ContentType.objects.get_for_model(Post)

    def person():
        i = next(n)
        return User.objects.create(username=f"probe{i}", email=f"probe{i}@example.org")

    def group():
        return Group.objects.create(name=f"Probe {next(n)}")

    def permission():
        return Permission.objects.create(codename=f"probe_{next(n)}", name="Probe", content_type=post_type)

    def cadre():
        return Cadre.objects.create(name=f"Probe {next(n)}")

    def department():
        return Department.objects.create(name=f"Probe {next(n)}")

    def unit():
        return Unit.objects.create(name=f"Probe {next(n)}", abbr="P", department=department())

    def session():
        store = SessionStore()
        store.create()
        return Session.objects.get(pk=store.session_key)

    new_row = {
        ContentType: lambda: ContentType.objects.create(app_label="probe", model=f"probe{next(n)}"),
        Permission: permission,
        Group: group,
        Group.permissions.through: lambda: Group.permissions.through.objects.create(
            group=group(), permission=permission()
        ),
        User: person,
        User.groups.through: lambda: User.groups.through.objects.create(user=person(), group=group()),
        User.user_permissions.through: lambda: User.user_permissions.through.objects.create(
            user=person(), permission=permission()
        ),
        Follow: lambda: Follow.objects.create(follower=person(), followed=person()),
        Cadre: cadre,
        Designation: lambda: Designation.objects.create(name=f"Probe {next(n)}", abbr="P", cadre=cadre()),
        Department: department,
        Department.heads.through: lambda: Department.heads.through.objects.create(
            department=department(), user=person()
        ),
        Unit: unit,
        Unit.heads.through: lambda: Unit.heads.through.objects.create(unit=unit(), user=person()),
        Post: lambda: Post.objects.create(author=person(), body="Probe"),
        # Its key is a slot number, not a sequence's: a slot the counter does not use, holding nothing.
        PostCounter: lambda: PostCounter.objects.create(slot=1000 + next(n), posts=0),
        Message: lambda: Message.objects.create(sender=person(), recipient=person(), body="Probe"),
        LogEntry: lambda: LogEntry.objects.create(
            user=person(), content_type=post_type, object_repr="Probe", action_flag=ADDITION
        ),
        Session: session,
        Token: lambda: Token.objects.create(user=person()),
        PostExport: lambda: PostExport.objects.create(user=person()),
        ImportedRow: lambda: ImportedRow.objects.create(
            source="staff", database="probe", table="users", source_id=next(n), object_id=person().pk
        ),
        # A job row, as enqueueing makes it (the database task backend; no worker runs it here).
        DBTaskResult: lambda: DBTaskResult.objects.get(
            id=export_posts.enqueue(str(PostExport.objects.create(user=person()).pk)).id
        ),
    }

    def recorded_by(historical):
        """django-simple-history: a historical model gets a row with each new row of the model it tracks."""
        make = new_row.get(getattr(historical, "instance_type", None))
        if make is None:
            return None

        def history_row():
            make()
            return historical._base_manager.order_by("-pk").first()

        return history_row

    outcome = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        table = model._meta.db_table
        make = new_row.get(model) or recorded_by(model)
        if make is None:
            outcome[table] = "this probe cannot make a row here yet: teach _probe"
            continue
        numbered = isinstance(model._meta.pk, models.AutoField)  # UUID keys have no sequence to fall behind
        highest = model._base_manager.aggregate(highest=models.Max("pk"))["highest"] if numbered else None
        try:
            with transaction.atomic():
                row = make()
        except Exception as exc:
            outcome[table] = f"{type(exc).__name__}: {exc}"
            continue
        outcome[table] = "ok" if not numbered or highest is None or row.pk > highest else f"id {row.pk} ≤ {highest}"
    return outcome


# Names that differ on PostgreSQL (and SQLite) only by an accent, an emoji or ß.
DISTINCT_NAMES = [("Rene", "René"), ("Team 🚀", "Team 🌟"), ("Strasse", "Straße")]


def _collisions() -> list[list[str]]:
    """Pairs of DISTINCT_NAMES that this database refuses to hold as two cadres (nothing is kept)."""
    from django.db import IntegrityError, transaction

    from organization.models import Cadre

    refused = []
    for pair in DISTINCT_NAMES:
        try:
            with transaction.atomic():
                for name in pair:
                    Cadre.objects.create(name=name)
                transaction.set_rollback(True)
        except IntegrityError:
            refused.append(list(pair))
    return refused


def _write(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _export(folder: Path) -> None:
    """FOLDER/canonical.json, then the two dumps."""
    from django.core.management import call_command

    _write(folder / "canonical.json", _canonical())
    for file, args in DUMPS.items():
        call_command("dumpdata", *DUMP_OPTIONS, *args, output=str(folder / file), verbosity=0)


def _source(folder: Path) -> None:
    """Migrate, seed (demo, superuser, volume), add the awkward data, export."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_db", "--superuser", verbosity=0)  # the one real Argon2 hash: demo people get unusable ones
    call_command("seed_db", *VOLUME, verbosity=0)
    _fill()
    _export(folder)


def _target(folder: Path, dumps: Path) -> None:
    """Load the dumps of the engine before, export; then FOLDER/probe.json: a new row in every table, collisions."""
    from django.core.management import call_command

    call_command("loaddata", *(str(dumps / file) for file in DUMPS), verbosity=0)
    _export(folder)
    _write(folder / "probe.json", {"probe": _probe(), "collisions": _collisions()})


def _main(mode: str, *folders: str) -> None:
    """The subprocess side: one process per database (the commands run as manage.py would run them)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    {"source": _source, "target": _target}[mode](*map(Path, folders))


# --- In the test process: the servers, the databases, the pipeline -------------------------------------------


def _require(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("REQUIRE_DUMP_RESTORE") == "1":
        pytest.fail(f"REQUIRE_DUMP_RESTORE=1 but {reason}", pytrace=False)
    pytest.skip(f"dump/restore across engines skipped: {reason} (REQUIRE_DUMP_RESTORE=1 makes this an error)")


def _url_with_name(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _mariadb_collation() -> str:
    """The collation the project's settings give MariaDB databases (the README creates them with it)."""
    with mock.patch.dict(os.environ, {"DATABASE_URL": "mysql://u@localhost/x"}):
        return runpy.run_path(str(ROOT / "project" / "settings.py"))["DATABASES"]["default"]["TEST"]["COLLATION"]


class Servers:
    """Create and drop databases on the PostgreSQL of DATABASE_URL and on MariaDB."""

    def __init__(self):
        import environ

        self.pg_url = os.environ.get("DATABASE_URL", "")
        if not self.pg_url or environ.Env.db_url_config(self.pg_url)["ENGINE"] != "django.db.backends.postgresql":
            _require("it runs in the PostgreSQL suite only (DATABASE_URL=postgres://…)")
        self.my_url = os.environ.get("DUMP_RESTORE_MYSQL_URL", "mysql://root@127.0.0.1:3306")
        self.pg = environ.Env.db_url_config(self.pg_url)
        self.my = environ.Env.db_url_config(self.my_url)
        self.collation = _mariadb_collation()
        try:
            import MySQLdb  # noqa: F401
            import psycopg  # noqa: F401
        except ImportError as exc:
            _require(f"a database driver is missing ({exc}); pip install -r requirements-mysql.txt")
        for engine, sql in (("postgresql", "SELECT 1"), ("mariadb", "SELECT 1")):
            try:
                self.execute(engine, sql)
            except Exception as exc:
                _require(f"{engine} is not reachable ({type(exc).__name__}: {exc})")

    def execute(self, engine: str, sql: str) -> None:
        if engine == "postgresql":
            import psycopg

            params = {k.lower(): self.pg[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if self.pg.get(k)}
            with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **params) as conn:
                conn.execute(sql)
            return
        import MySQLdb

        conn = MySQLdb.connect(
            host=self.my["HOST"] or "127.0.0.1",
            port=int(self.my["PORT"] or 3306),
            user=self.my["USER"],
            password=self.my["PASSWORD"] or "",
            connect_timeout=5,
        )
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    @contextlib.contextmanager
    def databases(self) -> Iterator[dict[str, str]]:
        """A new empty database on each server for the duration: engine → DATABASE_URL."""
        name = f"{self.pg['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        create = {
            "postgresql": f'CREATE DATABASE "{name}"',
            "mariadb": f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {self.collation}",
        }
        drop = {"postgresql": f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "mariadb": f"DROP DATABASE `{name}`"}
        created = []
        try:
            for engine in TARGETS:
                self.execute(engine, create[engine])
                created.append(engine)
            yield {"postgresql": _url_with_name(self.pg_url, name), "mariadb": _url_with_name(self.my_url, name)}
        finally:
            for engine in created:
                self.execute(engine, drop[engine])


class Run:
    """Subprocesses against one database each, their output in a temporary folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = itertools.count()

    def start(self, url: str, *args: str, **env: str) -> tuple[subprocess.Popen, Path, str]:
        log = self.folder / f"{next(self.count):02d}.log"
        # No replica (reads would go there), no demo passwords (Argon2 hashes cost seconds, prove nothing).
        environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URL", "SEED_DEMO_PASSWORD")}
        environment |= {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "project.settings", **env}
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
            )
        return process, log, " ".join(args[:3])

    def wait(self, started: tuple[subprocess.Popen, Path, str]) -> None:
        process, log, what = started
        assert process.wait(timeout=TIMEOUT) == 0, f"{what} failed:\n{log.read_text()[-4000:]}"

    def __call__(self, url: str, *args: str, **env: str) -> None:
        self.wait(self.start(url, *args, **env))

    def module(self, url: str, mode: str, *engines: str, **env: str) -> None:
        """Run `python -m tests.test_dump_restore <mode> <folder of each engine>`."""
        folders = [self.folder / engine for engine in engines]
        folders[0].mkdir(exist_ok=True)
        self(url, "-m", "tests.test_dump_restore", mode, *map(str, folders), **env)

    def read(self, engine: str, file: str) -> dict:
        return json.loads((self.folder / engine / file).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> dict:
    """The pipeline, once: {"tables": engine → canonical tables, "probes", "collisions"}."""
    servers = Servers()
    folder = tmp_path_factory.mktemp("dump_restore")
    run = Run(folder)
    urls = {"sqlite": f"sqlite:///{folder / 'source.sqlite3'}"}
    with servers.databases() as targets:
        urls |= targets
        # The targets migrate while the source fills (two cores).
        migrating = [run.start(urls[engine], "manage.py", "migrate", "-v0") for engine in TARGETS]
        run.module(urls["sqlite"], "source", "sqlite", DJANGO_SUPERUSER_PASSWORD="a long passphrase 42")
        for started in migrating:
            run.wait(started)
        for previous, engine in zip(["sqlite", *TARGETS], TARGETS, strict=False):
            run.module(urls[engine], "target", engine, previous)
        checks = {engine: run.read(engine, "probe.json") for engine in TARGETS}
        yield {
            "tables": {engine: run.read(engine, "canonical.json") for engine in ["sqlite", *TARGETS]},
            "probes": {engine: check["probe"] for engine, check in checks.items()},
            "collisions": {engine: check["collisions"] for engine, check in checks.items()},
        }


def _checksum(table: dict) -> str:
    return hashlib.sha256(json.dumps(table, ensure_ascii=False).encode()).hexdigest()


def _first_difference(source: dict, target: dict) -> str:
    if source["fields"] != target["fields"]:
        return f"fields {source['fields']} became {target['fields']}"
    for before, after in itertools.zip_longest(source["rows"], target["rows"]):
        if before != after:
            return f"{before} became {after}"
    return "same rows"


# --- The tests -----------------------------------------------------------------------------------------------


def test_the_source_has_rows_in_every_table_and_the_awkward_values(engines):
    source = engines["tables"]["sqlite"]
    assert [name for name, table in source["tables"].items() if not table["rows"]] == []
    text = json.dumps(source["tables"], ensure_ascii=False)
    assert "9999-12-31T23:59:59.999999+00:00" in text
    assert "2025-03-29T21:00:00.123456+00:00" in text  # stored in UTC
    assert all(json.dumps(value, ensure_ascii=False)[1:-1] in text for value in AWKWARD_TEXT)


@pytest.mark.parametrize("engine", ["sqlite", *TARGETS])
def test_every_table_is_read_through_a_model(engines, engine):
    assert engines["tables"][engine]["unmodelled"] == ["django_migrations"]


@pytest.mark.parametrize("engine", TARGETS)
def test_every_table_has_as_many_rows_as_on_sqlite(engines, engine):
    def counts(name):
        return {table: len(data["rows"]) for table, data in engines["tables"][name]["tables"].items()}

    assert counts(engine) == counts("sqlite")


@pytest.mark.parametrize("engine", TARGETS)
def test_every_table_has_the_same_checksum_as_on_sqlite(engines, engine):
    source, target = engines["tables"]["sqlite"]["tables"], engines["tables"][engine]["tables"]
    differing = {name: _first_difference(source[name], target[name]) for name in source if name in target}
    differing = {
        name: detail for name, detail in differing.items() if _checksum(source[name]) != _checksum(target[name])
    }
    assert differing == {}


@pytest.mark.parametrize("engine", TARGETS)
def test_every_table_takes_a_new_row_after_loading(engines, engine):
    probes = engines["probes"][engine]
    assert set(probes) == set(engines["tables"][engine]["tables"])
    assert {table: outcome for table, outcome in probes.items() if outcome != "ok"} == {}


def test_names_that_differ_by_accent_emoji_or_sharp_s_are_distinct_on_postgresql(engines):
    assert engines["collisions"]["postgresql"] == []


def test_names_distinct_on_postgresql_stay_distinct_on_mariadb(engines):
    assert engines["collisions"]["mariadb"] == []


# --- Why YAML: what the other formats lose (no database needed) ----------------------------------------------


def _round_trip(fmt: str, body: str, stamp: datetime):
    from django.core import serializers

    from posts.models import Post

    dumped = serializers.serialize(fmt, [Post(pk=1, author_id=1, body=body, timestamp=stamp)])
    return next(serializers.deserialize(fmt, dumped)).object


def test_yaml_keeps_every_awkward_text_and_microsecond():
    for body, stamp in zip(AWKWARD_TEXT, itertools.cycle(MICROSECOND_TIMES), strict=False):
        post = _round_trip("yaml", body, stamp)
        assert (post.body, post.timestamp) == (body, stamp)


def test_json_cuts_datetimes_to_milliseconds():
    assert _round_trip("json", "x", MICROSECOND_TIMES[0]).timestamp == MICROSECOND_TIMES[0].replace(microsecond=999_000)


def test_xml_strips_spaces_and_refuses_control_characters():
    assert _round_trip("xml", "  spaced  ", MICROSECOND_TIMES[0]).body == "spaced"
    with pytest.raises(ValueError, match="unserializable characters"):
        _round_trip("xml", "form\x0cfeed", MICROSECOND_TIMES[0])


if __name__ == "__main__":
    _main(*sys.argv[1:])
