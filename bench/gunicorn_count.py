"""gunicorn hooks (`gunicorn --config bench/gunicorn_count.py ...`): SQL statements per request, under load.

Loaded by both servers, Django and the floor, so that both carry the same (small) instrumentation. In each
worker, after the application is loaded:

- every statement psycopg sends is counted (a wrapper on `psycopg.Cursor.execute`, through which Django's
  cursors, its health check and the floor's cursors all go);
- the WSGI application is wrapped: the count starts at 0 with each request and is read when the response is
  closed (after Django's `request_finished`), then added to a histogram keyed by the request's phase (the
  `X-Bench-Phase` header the harness and its load driver send: `read`, `mixed`, `warm`...; `other` without
  one) and its kind (`read` for GET/HEAD, `write` otherwise): {"mixed:write": {"3": 120, ...}, ...};
- at the worker's exit the histogram is written to `$BENCH_COUNT_DIR/<pid>.json` (the harness adds the
  workers' files up once the server has stopped).
"""

import json
import os

_histogram: dict[str, dict[int, int]] = {}
_current = [0]


class _Counted:
    """The application's response; closing it (gunicorn does, after sending it) records the request's count."""

    def __init__(self, result, key: str):
        self.result, self.key = result, key

    def __iter__(self):
        return iter(self.result)

    def close(self):
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            counts = _histogram.setdefault(self.key, {})
            counts[_current[0]] = counts.get(_current[0], 0) + 1


def post_worker_init(worker):
    import psycopg

    original = psycopg.Cursor.execute

    def execute(cursor, query, params=None, *args, **kwargs):
        _current[0] += 1
        return original(cursor, query, params, *args, **kwargs)

    psycopg.Cursor.execute = execute
    app = worker.wsgi

    def counted(environ, start_response):
        _current[0] = 0
        phase = environ.get("HTTP_X_BENCH_PHASE", "other")
        kind = "read" if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else "write"
        return _Counted(app(environ, start_response), f"{phase}:{kind}")

    worker.wsgi = counted


def worker_exit(server, worker):
    folder = os.environ.get("BENCH_COUNT_DIR")
    if not folder:
        return
    path = os.path.join(folder, f"{os.getpid()}.json")
    with open(path + ".tmp", "w") as out:
        json.dump({key: {str(n): c for n, c in counts.items()} for key, counts in _histogram.items()}, out)
    os.replace(path + ".tmp", path)
