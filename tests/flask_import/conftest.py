"""Source databases for `manage.py import_flask`, real and separate from the test database.

Every test that uses the `microblog` or `staff` fixture runs once per source engine that applies to this
run: the microblog on SQLite, and on PostgreSQL when the run's own database is PostgreSQL; the staff
directory on SQLite, and on MariaDB/MySQL when the run's own database is MySQL. The other server is not
there to use, so its parameter is not generated at all (no skipped tests).

A test that needs fewer engines (a post of 141 characters, which PostgreSQL's VARCHAR(140) cannot hold)
parametrizes `source_engine` itself from SOURCE_ENGINES (test_conflicts.py's cases_for).
"""

import uuid

import pytest
from django.conf import settings

from tests.flask_import.helpers import SOURCE_ENGINES, server_url
from tests.flask_import.sources import MicroblogSource, StaffSource


def pytest_generate_tests(metafunc):
    if "source_engine" not in metafunc.fixturenames:
        return
    if any("source_engine" in marker.args[0] for marker in metafunc.definition.iter_markers("parametrize")):
        return  # the test lists its engines itself (with SOURCE_ENGINES)
    engines = SOURCE_ENGINES["staff" if "staff" in metafunc.fixturenames else "microblog"]
    metafunc.parametrize("source_engine", engines, ids=[f"{engine}-source" for engine in engines])


def _server_connection(engine: str):
    own = settings.DATABASES["default"]
    host, port = own.get("HOST") or "127.0.0.1", int(own.get("PORT") or {"postgresql": 5432, "mysql": 3306}[engine])
    if engine == "postgresql":
        import psycopg

        return psycopg.connect(
            host=host,
            port=port,
            user=own["USER"],
            password=own.get("PASSWORD") or "",
            dbname="postgres",
            autocommit=True,
        )
    import MySQLdb

    server = MySQLdb.connect(host=host, port=port, user=own["USER"], passwd=own.get("PASSWORD") or "")
    server.autocommit(True)
    return server


@pytest.fixture
def source_url(source_engine, tmp_path):
    """An empty database for a source: a SQLite file in tmp_path, or a fresh database with a random name on
    the run's own server (dropped afterwards)."""
    if source_engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.db'}"
        return
    name = f"flask_source_{uuid.uuid4().hex[:12]}"
    server = _server_connection(source_engine)
    try:
        if source_engine == "postgresql":
            server.cursor().execute(f'CREATE DATABASE "{name}"')
        else:
            server.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield server_url(source_engine, name)
    finally:
        if source_engine == "postgresql":
            server.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            server.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()


@pytest.fixture
def microblog(db, source_engine, source_url):
    """The microblog's database with its tables and no rows."""
    source = MicroblogSource(source_engine, source_url)
    source.create_schema()
    yield source
    source.close()


@pytest.fixture
def staff(db, source_engine, source_url):
    """The staff directory's database with its tables and no rows (source.reference_rows() adds users.sql)."""
    source = StaffSource(source_engine, source_url)
    source.create_schema()
    yield source
    source.close()
