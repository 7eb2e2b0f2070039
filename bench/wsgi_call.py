"""Call a WSGI application in-process, the way gunicorn's sync worker does, and count SQL statements.

Used by the harness (for the floor) and by `probe.py` (for Django) so that both are measured the
same way: one request = build an environ, call the app, read the body, close the iterable (which
is when Django sends `request_finished`).

`StatementCounter` counts every statement psycopg sends to the server, whoever sends it (Django's
ORM, Django's connection health check `SELECT 1`, or the floor): it wraps psycopg's cursor classes.
"""

from __future__ import annotations

import io
import sys
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit


def make_environ(url: str, headers: dict[str, str] | None = None, host: str = "127.0.0.1:8000") -> dict:
    """A GET environ for `url` (a path with an optional query string)."""
    parts = urlsplit(url)
    name, _, port = host.partition(":")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": name,
        "SERVER_PORT": port or "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for key, value in (headers or {}).items():
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        environ[name] = value
    return environ


def call(app, url: str, headers: dict[str, str] | None = None, host: str = "127.0.0.1:8000"):
    """(status code, response headers, body bytes) of one GET through `app`."""
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = int(status.split()[0])
        captured["headers"] = response_headers
        return lambda data: None

    result = app(make_environ(url, headers, host), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return captured["status"], captured["headers"], body


class StatementCounter:
    """Counts (and records) every statement executed through psycopg 3 cursors while active."""

    def __init__(self):
        self.statements: list[str] = []
        self._active = False
        self._lock = threading.Lock()

    @contextmanager
    def counting(self):
        self.statements = []
        self._active = True
        try:
            yield self
        finally:
            self._active = False

    def install(self):
        import psycopg

        counter = self
        # Every psycopg cursor (Django's ClientCursor included) runs statements through Cursor.execute.
        original = psycopg.Cursor.execute
        if getattr(original, "_bench_wrapped", False):
            return self

        def execute(cursor, query, params=None, *args, **kwargs):
            if counter._active:
                text = query if isinstance(query, str) else repr(query)
                with counter._lock:
                    counter.statements.append(text)
            return original(cursor, query, params, *args, **kwargs)

        execute._bench_wrapped = True
        psycopg.Cursor.execute = execute
        return self

    @property
    def count(self) -> int:
        return len(self.statements)
