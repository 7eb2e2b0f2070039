"""Load and fault tests against the project under gunicorn on PostgreSQL (issue #6).

They are marked `reliability` and skipped unless asked for, with RUN_RELIABILITY=1 or `-m reliability`:
a plain `pytest` stays fast and needs nothing but SQLite. Asked for, they need PostgreSQL (DATABASE_URL),
and fail (never skip) without it. The server cannot see pytest-django's test database, so the session
migrates a database of its own (named after DATABASE_URL's, with a random suffix) and each test copies
it; all are dropped at the end. Everything runs on loopback and every process started here is stopped in
a fixture's teardown.
"""

import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.reliability import processes

HERE = Path(__file__).parent
ARTIFACTS = processes.ROOT / "test-artifacts" / "reliability"
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://", "psql://")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "reliability: load and fault test (gunicorn on PostgreSQL); runs with RUN_RELIABILITY=1 or -m reliability",
    )


def _asked_for(config) -> bool:
    return os.environ.get("RUN_RELIABILITY") == "1" or bool(re.search(r"\breliability\b", config.option.markexpr))


def pytest_collection_modifyitems(config, items):
    if _asked_for(config):
        return
    skip = pytest.mark.skip(reason="reliability test: set RUN_RELIABILITY=1 or pass -m reliability (needs PostgreSQL)")
    for item in items:
        if item.get_closest_marker("reliability"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_server():
    """The PostgreSQL server of DATABASE_URL; the databases made on it are dropped at the end."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(POSTGRES_SCHEMES):
        pytest.fail(f"reliability tests need PostgreSQL: DATABASE_URL=postgres://… (now {url!r})", pytrace=False)
    info = psycopg.conninfo.conninfo_to_dict(url)
    server = processes.DatabaseServer(url, prefix=f"{info.get('dbname') or 'microblog'}_rel_{uuid.uuid4().hex[:8]}")
    try:
        server.connect().close()
    except psycopg.OperationalError as exc:
        where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}"
        pytest.fail(f"reliability tests need PostgreSQL, which does not answer at {where}: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(scope="session")
def migrated_template(database_server) -> str:
    """A migrated, empty database that each test copies (CREATE DATABASE … TEMPLATE: a file copy)."""
    name = database_server.create("template")
    processes.manage(database_server.url_of(name), "migrate", "--noinput", "-v0")
    return name


@pytest.fixture
def new_database(database_server, migrated_template):
    """new_database() → the URL of a fresh migrated database, dropped after the test."""
    made = []

    def make() -> str:
        name = database_server.create(uuid.uuid4().hex[:6], template=migrated_template)
        made.append(name)
        return database_server.url_of(name)

    yield make
    for name in made:
        database_server.drop(name)


@pytest.fixture(scope="session")
def static_files(database_server):
    """DEBUG=False serves hashed static files from a manifest: collect them as a deployment does."""
    processes.manage(database_server.url, "collectstatic", "--noinput", "-v0")


@pytest.fixture
def start_gunicorn(static_files, tmp_path):
    """start_gunicorn(database_url) → a running processes.Gunicorn, stopped after the test."""
    servers = []

    def start(database_url: str, **options) -> processes.Gunicorn:
        server = processes.Gunicorn(database_url, tmp_path, **options)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def private_postgres(request):
    """A PostgreSQL instance of the test's own (own folder, own port), initialized and started; removed after.

    Not under tmp_path: the postgres account must be able to reach its folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="reliability-pg-"))
    instance = None
    try:
        instance = processes.PrivatePostgres(folder)
        instance.initdb()
        instance.start()
        instance.create_database()
        yield instance
    finally:
        if instance:
            instance.remove(keep_log=ARTIFACTS / f"{request.node.name}-postgres.log")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def report(request):
    """report(figures): print them and keep them in test-artifacts/reliability/<test>.json."""

    def write(figures: dict) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        text = json.dumps(figures, indent=2, default=str)
        (ARTIFACTS / f"{request.node.name}.json").write_text(text + "\n")
        print(f"\n{request.node.name}: {text}")

    write.artifacts = ARTIFACTS / request.node.name
    return write
