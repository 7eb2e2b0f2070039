"""core.middleware.DatabaseErrorMiddleware: the database down is a 503 with Retry-After, not a 500.

These run in the normal suite (no server, no PostgreSQL). None of them may touch the database: pytest-django
refuses any query here, so a 503 page or API answer that needed one would fail the test.
"""

import json

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import Client, RequestFactory

from core.middleware import RETRY_AFTER_SECONDS, server_error


def _raise(error: Exception):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.fixture
def database_down(monkeypatch):
    """database_down(target) makes `target` (a dotted attribute) raise OperationalError, as a lost server does."""

    def break_(target: str, error: Exception | None = None):
        monkeypatch.setattr(target, _raise(error or OperationalError("connection refused")))

    return break_


def test_an_api_view_that_loses_the_database_answers_503_json_with_retry_after(client, database_down):
    database_down("posts.api.views.post_list")
    response = client.get("/api/posts/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert set(json.loads(response.content)) == {"detail"}


def test_token_authentication_that_loses_the_database_answers_503_json(client, database_down):
    database_down(
        "accounts.authentication.CachedTokenAuthentication.authenticate_credentials",
        InterfaceError("connection already closed"),
    )
    response = client.get("/api/feed/", headers={"Authorization": "Token abc"})
    assert response.status_code == 503
    assert "detail" in json.loads(response.content)


def test_a_page_that_loses_the_database_is_the_standalone_503_page(client, database_down):
    database_down("posts.views.selectors.post_list")
    response = client.get("/explore/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert [t.name for t in response.templates] == ["503.html"]  # not base.html: that reads request.user
    html = response.content.decode()
    assert "Temporarily unavailable" in html
    assert "Traceback" not in html


def test_a_signed_in_visitor_whose_session_cannot_be_read_gets_503_not_500(client, database_down):
    # The user is loaded lazily; middleware reading request.user on the way out (last_seen) must not retry.
    database_down("django.contrib.auth.get_user")
    response = client.get("/")
    assert response.status_code == 503


def test_the_database_outage_is_logged_in_one_line(client, database_down, caplog):
    database_down("posts.api.views.post_list")
    client.get("/api/posts/?page=2")
    (record,) = [r for r in caplog.records if r.name == "core.middleware"]
    assert record.levelname == "ERROR"
    assert "Database unavailable, answered 503: GET /api/posts/ (OperationalError: connection refused)" in (
        record.getMessage()
    )


def test_other_database_errors_stay_server_errors(database_down):
    database_down("posts.api.views.post_list", ProgrammingError("relation does not exist"))
    response = Client(raise_request_exception=False).get("/api/posts/")
    assert response.status_code == 500


@pytest.mark.parametrize("path", ["/api/posts/", "/explore/"])
def test_the_500_handler_answers_503_for_an_outage_raised_outside_a_view(path):
    # E.g. last_seen's UPDATE or the session's save, after the view: process_exception never sees those.
    request = RequestFactory().get(path)
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_the_500_handler_leaves_other_errors_a_500():
    request = RequestFactory().get("/explore/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500


def _from_driver(cause: Exception) -> OperationalError:
    """Django's OperationalError as its wrapper raises it: the driver's error is the cause."""
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


def _driver_errors():
    import sqlite3

    import psycopg

    yield "sqlite: expression tree too large", sqlite3.OperationalError("Expression tree is too large (max 1000)"), 500
    yield "sqlite: locked", sqlite3.OperationalError("database is locked"), 503
    yield "sqlite: cannot open", sqlite3.OperationalError("unable to open database file"), 503
    yield "postgresql: connection failed", psycopg.OperationalError("connection refused"), 503  # no SQLSTATE
    yield "postgresql: shut down", psycopg.errors.lookup("57P01")("terminating connection"), 503
    yield "postgresql: too many clients", psycopg.errors.lookup("53300")("too many clients"), 503
    yield "postgresql: statement too complex", psycopg.errors.lookup("54001")("statement too complex"), 500
    yield "postgresql: deadlock", psycopg.errors.lookup("40P01")("deadlock detected"), 500
    yield "mysql: server gone away", OSError(2006, "MySQL server has gone away"), 503
    yield "mysql: lock wait timeout", OSError(1205, "Lock wait timeout exceeded"), 500


@pytest.mark.parametrize(
    ("label", "cause", "status"), list(_driver_errors()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_only_an_unreachable_database_is_a_503(database_down, label, cause, status):
    """A failed statement is a bug (500, logged with its traceback); only an outage is "try again" (503)."""
    database_down("posts.api.views.post_list", _from_driver(cause))
    response = Client(raise_request_exception=False).get("/api/posts/")
    assert response.status_code == status, label
