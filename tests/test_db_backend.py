"""The PostgreSQL backend's health check: no round trip on a quiet connection, a reconnect after the server drops it."""

import select
import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the health check is PostgreSQL's backend's"),
]


@pytest.fixture
def sent_statements(monkeypatch):
    """Every statement psycopg sends on this process's connections (health checks included)."""
    sent = []
    execute = psycopg.Cursor.execute

    def counting(cursor, query, *args, **kwargs):
        sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    return sent


def start_request():
    """What Django does at the start of a request (request_started → close_old_connections)."""
    connection.close_if_unusable_or_obsolete()


def query_backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_health_check_is_on_for_the_persistent_connection():
    query_backend_pid()
    assert connection.health_check_enabled


def test_a_reused_quiet_connection_is_checked_without_a_statement(sent_statements):
    first = query_backend_pid()
    start_request()
    sent_statements.clear()
    assert query_backend_pid() == first  # the same connection, reused
    assert sent_statements == ["SELECT pg_backend_pid()"]  # and no SELECT 1 before it


def test_a_connection_the_server_dropped_is_replaced_before_the_first_query(sent_statements):
    dropped = query_backend_pid()
    other = connection.copy()  # a second connection to the same database
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
    finally:
        other.close()
    _wait_until_readable(connection.connection.fileno())
    start_request()
    sent_statements.clear()
    assert query_backend_pid() != dropped  # no error: a new connection served the query
    assert sent_statements[0] == "SELECT 1"  # the suspicious socket got Django's real check


def _wait_until_readable(fd: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not select.select([fd], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the terminated connection's socket never became readable"
