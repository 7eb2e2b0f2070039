"""Django side of the benchmark, run by the harness in the project's environment (production settings).

python bench/probe.py auth --out FILE
    Chooses the people (a seeded user who follows others: the viewer; one of the people they
    follow: the profile page and the user detail), creates the viewer's API token and a signed-in
    session, and writes them as JSON.

python bench/probe.py capture --people FILE --host HOST:PORT --out FILE [--no-explain]
    Runs each endpoint in-process through Django's WSGI handler (as gunicorn does: request
    signals, persistent connection, health checks), twice, both counted: "cold" (the first
    request, with the harness's freshly emptied cache: what a cache miss costs) and "warm" (the
    same request again: a cache hit). Records the status, the ORM queries (SQL with
    parameters) and every statement psycopg sent (health checks included) of each, then
    EXPLAIN (ANALYZE, BUFFERS) of the cold request's queries that read posts_post (feed,
    profile and post list). The cache is the one the environment names (CACHE_URL/CACHE_DIR).

python bench/probe.py profile ENDPOINT [-n 300] [--sort tottime]
    For finding what dominates: cProfile of one endpoint (a name from endpoints.py) in-process,
    against the database in DATABASE_URL, with the same production settings as the harness.
    Run it through the harness, with its settings: `bench/run --profile api_user` (see bench/README.md).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from endpoints import ENDPOINTS, EXPLAIN, auth_headers, resolve  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from wsgi_call import StatementCounter, call  # noqa: E402

from accounts.models import Follow, User  # noqa: E402


def choose_people() -> dict:
    """The viewer: the first person (by id) who follows the most people; the profile: whom they follow first."""
    viewer = User.objects.filter(is_active=True).annotate(n=Count("following_links")).order_by("-n", "pk").first()
    if viewer is None:
        raise SystemExit("probe: no users in the database; seed it first")
    followed_id = (
        Follow.objects.filter(follower=viewer).order_by("followed_id").values_list("followed_id", flat=True).first()
    )
    profile = User.objects.get(pk=followed_id) if followed_id else viewer
    return {"viewer": viewer, "profile": profile, "following": viewer.n}


def create_auth() -> dict:
    people = choose_people()
    viewer, profile = people["viewer"], people["profile"]
    token, _ = Token.objects.get_or_create(user=viewer)
    session = SessionStore()
    session[SESSION_KEY] = str(viewer.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = viewer.get_session_auth_hash()
    session.set_expiry(7 * 24 * 3600)
    session.create()
    out = {
        "viewer_id": viewer.pk,
        "viewer_username": viewer.username,
        "viewer_following": people["following"],
        "viewer_posts": viewer.posts.count(),
        "profile_username": profile.username,
        "detail_user_id": profile.pk,
        "token": token.key,
        "session_key": session.session_key,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf_secret": get_random_string(32),  # the form of Django's CSRF cookie: 32 letters and digits
    }
    return out


def cmd_auth(args):
    Path(args.out).write_text(json.dumps(create_auth(), indent=2))


class ORMRecorder:
    """connection.execute_wrapper: the SQL (with placeholders) and parameters of every ORM query."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        self.queries.append({"sql": sql, "params": [_jsonable(p) for p in (params or [])], "raw_params": params})
        return execute(sql, params, many, context)


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


# The count of every post, as Django's paginator writes it for the unfiltered post list.
WHOLE_TABLE_COUNT = re.compile(r'SELECT COUNT\(\*\) AS "__count" FROM "posts_post"')


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def explain(sql: str, params) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of a query (run once before to warm the cache), and its verdict.

    Fails on a sequential scan of posts_post, and on a full index scan of it: an index scan with no
    index condition that reads at least half of the table (an index only replacing a sequential scan).
    One exception, reported as such: the exact count of the whole table (the unfiltered post list's
    COUNT(*)). PostgreSQL keeps no row count (MVCC), so every plan of it reads every row or index entry;
    an index-only scan without heap fetches is the cheapest there is, and it passes.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'posts_post'")
        table_rows = max(cursor.fetchone()[0], 1)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        tree = cursor.fetchone()[0]
    tree = json.loads(tree) if isinstance(tree, str) else tree
    scans, rows_read, full_scan = [], 0, False
    for node in _plan_nodes(tree[0]["Plan"]):
        kind = node["Node Type"]
        on_posts = node.get("Relation Name") == "posts_post" or (
            kind == "Bitmap Index Scan" and node.get("Index Name", "").startswith("posts_post")
        )
        if not on_posts:
            continue
        read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
        if kind != "Bitmap Heap Scan":  # its rows come from its Bitmap Index Scan
            rows_read += read
        if kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node and read >= table_rows / 2:
            full_scan = True
        scans.append(f"{kind}" + (f" using {node['Index Name']}" if "Index Name" in node else "") + f" ({read:,} rows)")
    seq_scan = bool(re.search(r"Seq Scan on posts_post\b", plan))
    index_used = any("Index" in scan for scan in scans)
    whole_table_count = bool(WHOLE_TABLE_COUNT.fullmatch(sql.strip())) and all("Index Only" in scan for scan in scans)
    execution = re.search(r"Execution Time: ([0-9.]+) ms", plan)
    return {
        "plan": plan,
        "posts_scans": scans,
        "posts_rows_read": rows_read,
        "posts_table_rows": table_rows,
        "seq_scan_on_posts": seq_scan,
        "full_index_scan_on_posts": full_scan,
        "whole_table_count": whole_table_count,
        "index_used": index_used,
        "execution_ms": float(execution.group(1)) if execution else None,
        "pass": index_used and not seq_scan and (not full_scan or whole_table_count),
    }


def _counted_call(app, counter, path, headers, host) -> dict:
    recorder = ORMRecorder()
    with counter.counting(), connection.execute_wrapper(recorder):
        status, _, body = call(app, path, headers, host=host)
    return {
        "status": status,
        "bytes": len(body),
        "orm_queries": len(recorder.queries),
        "wire_statements": counter.count,
        "statements": list(counter.statements),
        "queries": recorder.queries,
    }


def cmd_capture(args):
    people = json.loads(Path(args.people).read_text())
    app = get_wsgi_application()
    counter = StatementCounter().install()
    results = {}
    for endpoint in ENDPOINTS:
        path = resolve(endpoint, people)
        headers = auth_headers(endpoint, people)
        cold = _counted_call(app, counter, path, headers, args.host)
        warm = _counted_call(app, counter, path, headers, args.host)
        entry = {"path": path, "status": warm["status"], "bytes": warm["bytes"]}
        for name, run in (("cold", cold), ("warm", warm)):
            entry[name] = {
                "status": run["status"],
                "orm_queries": run["orm_queries"],
                "wire_statements": run["wire_statements"],
                "statements": run["statements"],
                "queries": [{"sql": q["sql"], "params": q["params"]} for q in run["queries"]],
            }
        if endpoint["name"] in EXPLAIN and not args.no_explain:
            entry["explain"] = [
                {"sql": q["sql"], **explain(q["sql"], q["raw_params"])}
                for q in cold["queries"]
                if '"posts_post"' in q["sql"]  # the posts table (not posts_postcounter)
            ]
        results[endpoint["name"]] = entry
    connection.close()
    Path(args.out).write_text(json.dumps(results, indent=2))


def cmd_profile(args):
    """cProfile of one endpoint in-process (no server, no load generator): where Django's CPU time goes."""
    import cProfile
    import pstats
    import time

    people = create_auth()
    app = get_wsgi_application()
    endpoint = next(e for e in ENDPOINTS if e["name"] == args.endpoint)
    path, headers = resolve(endpoint, people), auth_headers(endpoint, people)
    for _ in range(20):
        status, _, _ = call(app, path, headers)
    started = time.perf_counter()
    for _ in range(args.n):
        call(app, path, headers)
    per_request = (time.perf_counter() - started) / args.n * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.n):
        call(app, path, headers)
    profiler.disable()
    print(f"{endpoint['label']}: status {status}, {per_request:.2f} ms per request in-process (wall, unprofiled)")
    stats = pstats.Stats(profiler)
    print_by_package(stats)
    stats.sort_stats(args.sort).print_stats(args.limit)
    connection.close()


def print_by_package(stats) -> None:
    """Own time grouped by package/module (e.g. django/template, rest_framework/serializers.py)."""
    groups: dict[str, float] = {}
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        total += tottime
        if "site-packages/" in filename:
            parts = filename.split("site-packages/", 1)[1].split("/")
            group = "/".join(parts[:2]) if len(parts) > 2 else parts[0]
        elif filename.startswith(str(BENCH.parent)):
            group = "project: " + "/".join(Path(filename).relative_to(BENCH.parent).parts[:2])
        elif filename.startswith("~") or filename.startswith("<"):
            group = "builtins"
        else:
            group = "stdlib: " + Path(filename).name
        groups[group] = groups.get(group, 0.0) + tottime
    print("Own time by package (share of the profiled time):")
    for group, seconds in sorted(groups.items(), key=lambda item: -item[1])[:20]:
        print(f"  {seconds / total * 100:5.1f} %  {group}")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    auth = sub.add_parser("auth")
    auth.add_argument("--out", required=True)
    capture = sub.add_parser("capture")
    capture.add_argument("--people", required=True)
    capture.add_argument("--host", default="127.0.0.1:8000")
    capture.add_argument("--out", required=True)
    capture.add_argument("--no-explain", action="store_true", help="Skip the EXPLAINs (already done).")
    profile = sub.add_parser("profile", help="cProfile one endpoint in-process")
    profile.add_argument("endpoint", choices=[e["name"] for e in ENDPOINTS])
    profile.add_argument("-n", type=int, default=300, help="requests to profile")
    profile.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime, ...)")
    profile.add_argument("--limit", type=int, default=40, help="lines of the profile to print")
    args = parser.parse_args()
    {"auth": cmd_auth, "capture": cmd_capture, "profile": cmd_profile}[args.command](args)


if __name__ == "__main__":
    main()
