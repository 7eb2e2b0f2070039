"""The benchmark harness (started by `bench/run`; `bench/run --help` lists the options).

1. Creates the PostgreSQL database `microblog_bench` (dropped first), migrates it, copies the empty
   schema to `microblog_bench_copy`, and times `manage.py seed_db` in volume mode; then times
   PostgreSQL COPY of the same rows (users, posts, follows) into the empty copy: the floor for bulk
   writes. VACUUM (ANALYZE) afterwards, untimed, so plans do not depend on when autovacuum runs.
2. Creates an API token and a signed-in session for a seeded person who follows others (probe.py).
3. Runs every endpoint in-process through the lean floor (floor.py) to record its statements.
4. For each cache of the Django servers (`--cache`: the embedded file cache in a private folder, and/or
   Redis, flushed): empties the cache, runs every endpoint in-process through Django twice (probe.py
   capture: the first request and the same again, statements counted; EXPLAIN of the posts queries),
   then for each endpoint starts Django and the floor, each under gunicorn with the same settings and
   the same statement counter (gunicorn_count.py), checks both answer 200 (and the same JSON bytes),
   - read-only run: warms both up with wrk, then measures them in alternating wrk runs;
   - mixed run: the same with driver.py (1 request in 20 a write with the viewer's token, each write
     followed by a check read from another connection that must show it), the JSON compared again
     after the writes, and the database put back as it was afterwards;
   reads CPU time per request, the workers' peak RSS and their statements per request, and stops both.
5. Writes bench/results/<name>.json, .txt and .png and prints the tables.
"""

import argparse
import atexit
import contextlib
import hashlib
import http.client
import importlib.metadata
import itertools
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from endpoints import (  # noqa: E402
    ENDPOINTS,
    EXPLAIN,
    MAX_P99_OVER_P50,
    MAX_QUERIES,
    MIN_RATIO,
    MIN_SEED_RATIO,
    auth_headers,
    resolve,
)
from wsgi_call import StatementCounter, call  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WRK_SCRIPT = "bench/wrk_report.lua"
TIMED_TABLES = ("accounts_user", "posts_post", "accounts_follow")  # in foreign-key order
SEED_SUPPORT_TABLES = ("organization_cadre", "organization_designation", "organization_department", "organization_unit")

STARTED = time.perf_counter()
PROCESSES: list[subprocess.Popen] = []


# --- processes ------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", flush=True)


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started here, with its process group (gunicorn's workers)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    if proc in PROCESSES:
        PROCESSES.remove(proc)


def stop_all() -> None:
    for proc in list(PROCESSES):
        stop(proc)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def run(cmd: list[str], env: dict, timeout: float, what: str) -> subprocess.CompletedProcess:
    """Run a command to completion (bounded in time); stop the harness with its output if it fails."""
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"bench: {what} failed (exit {result.returncode})")
    return result


# --- database ---------------------------------------------------------------------------------------------


def pg(url: str, dbname: str, autocommit=True) -> psycopg.Connection:
    return psycopg.connect(url, dbname=dbname, autocommit=autocommit)


def recreate_database(admin: psycopg.Connection, name: str, template: str | None = None) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    admin.execute(create)


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {
        t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
        for t in TIMED_TABLES
    }


def dump_tables(conn: psycopg.Connection, tables, folder: Path) -> dict[str, Path]:
    files = {}
    for table in tables:
        path = folder / f"{table}.copy"
        statement = sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))
        with conn.cursor() as cur, path.open("wb") as out, cur.copy(statement) as copy:
            for data in copy:
                out.write(data)
        files[table] = path
    return files


def load_tables(conn: psycopg.Connection, files: dict[str, Path], tables) -> None:
    with conn.cursor() as cur:
        for table in tables:
            with (
                cur.copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table))) as copy,
                files[table].open("rb") as data,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)


def seed(args, env: dict, admin: psycopg.Connection, work: Path) -> dict:
    """Create, migrate, seed (timed) and COPY (timed) the database; return the seeding results."""
    log(f"database {args.db}: drop, create, migrate")
    recreate_database(admin, args.db)
    started = time.perf_counter()
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env, 600, "migrate")
    migrate_s = time.perf_counter() - started
    # The empty, migrated schema, copied before seeding: the target of the COPY floor.
    recreate_database(admin, args.copy_db, template=args.db)

    log(
        f"seed_db --users {args.users} --posts-per-user {args.posts_per_user} "
        f"--follows-per-user {args.follows_per_user} --seed 0 (timed)"
    )
    started = time.perf_counter()
    result = run(
        [
            PYTHON,
            "manage.py",
            "seed_db",
            "--users",
            str(args.users),
            "--posts-per-user",
            str(args.posts_per_user),
            "--follows-per-user",
            str(args.follows_per_user),
            "--seed",
            "0",
            "--noinput",
        ],
        env,
        args.seed_timeout,
        "seed_db",
    )
    seed_s = time.perf_counter() - started
    own = re.search(r"Seeded ([\d,]+) new rows in ([\d.]+) s", result.stdout)
    with pg(args.pg_url, args.db) as conn:
        counts = table_counts(conn)
        log(f"seeded {counts} in {seed_s:.1f} s; dumping those rows for COPY")
        files = dump_tables(conn, SEED_SUPPORT_TABLES + TIMED_TABLES, work)
    rows = sum(counts.values())

    with pg(args.pg_url, args.copy_db, autocommit=False) as conn:
        load_tables(conn, files, SEED_SUPPORT_TABLES)  # the organization rows users point to (untimed)
        conn.commit()
        log(f"COPY {rows:,} rows into {args.copy_db} (timed)")
        started = time.perf_counter()
        load_tables(conn, files, TIMED_TABLES)
        conn.commit()
        copy_s = time.perf_counter() - started
        copied = table_counts(conn)
    if copied != counts:
        raise SystemExit(f"bench: COPY loaded {copied}, expected {counts}")
    for path in files.values():
        path.unlink()
    if not args.keep_copy_db:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.copy_db)))

    log("VACUUM (ANALYZE) (untimed)")
    started = time.perf_counter()
    with pg(args.pg_url, args.db) as conn:
        conn.execute("VACUUM (ANALYZE)")
    vacuum_s = time.perf_counter() - started

    seed_rate, copy_rate = rows / seed_s, rows / copy_s
    ratio = seed_rate / copy_rate
    return {
        "rows": counts,
        "rows_total": rows,
        "migrate_s": round(migrate_s, 2),
        "seed_db_s": round(seed_s, 2),
        "seed_db_rows_per_s": round(seed_rate),
        "seed_db_own_summary": {"rows": int(own.group(1).replace(",", "")), "s": float(own.group(2))} if own else None,
        "copy_s": round(copy_s, 2),
        "copy_rows_per_s": round(copy_rate),
        "ratio": round(ratio, 3),
        "target": MIN_SEED_RATIO,
        "pass": ratio >= MIN_SEED_RATIO,
        "vacuum_analyze_s": round(vacuum_s, 2),
        "note": "seed_db timed as a whole command (process start included); COPY of the same rows of the "
        "three tables into the same empty schema (indexes and constraints included), one transaction.",
    }


# --- caches ------------------------------------------------------------------------------------------------------

# The key of the "all" scope's version (core.caching) as Django's caches name it: the default KEY_FUNCTION,
# no KEY_PREFIX, VERSION 1. Deleting it makes every cached read miss (a lost version gets a new token).
SCOPE_ALL_KEY = ":1:scope:all"


class Cache:
    """One cache configuration of the Django servers: the embedded file cache or Redis."""

    def __init__(self, mode: str, args, root: Path):
        self.mode = mode
        self.redis_url = args.redis_url
        self.folder = root / "file"
        self.env = (
            {"CACHE_URL": "", "CACHE_DIR": str(self.folder)}
            if mode == "file"
            else {"CACHE_URL": self.redis_url, "CACHE_DIR": str(root / "unused")}
        )

    def _redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_timeout=5)

    def check(self) -> None:
        if self.mode == "redis":
            try:
                self._redis().ping()
            except Exception as exc:
                raise SystemExit(f"bench: Redis at {self.redis_url} does not answer ({exc}); try --cache file") from exc

    def empty(self) -> None:
        """An empty cache: a fresh private folder, or the Redis database flushed."""
        if self.mode == "file":
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
        else:
            self._redis().flushdb()

    def drop_all_scope(self, *, after_django: bool = True) -> None:
        """Make every read Django has cached miss (after writes that bypassed Django).

        `after_django`: Django has answered since the cache was emptied, so the key must be there; a key not
        found means this harness looks in the wrong place, and Django's answers would be stale: an error.
        """
        if self.mode == "file":
            # The versions are in the file cache's "state" folder (settings.CACHES), not beside the cached reads.
            name = hashlib.md5(SCOPE_ALL_KEY.encode(), usedforsecurity=False).hexdigest() + ".djcache"
            path = self.folder / "state" / name
            existed = path.exists()
            path.unlink(missing_ok=True)
        else:
            existed = bool(self._redis().delete(SCOPE_ALL_KEY))
        if after_django and not existed:
            raise RuntimeError(
                f"{self.mode} cache: no {SCOPE_ALL_KEY} to drop; Django's cached reads stay as they were"
            )


# --- servers and load ----------------------------------------------------------------------------------------


def gunicorn_cmd(args, app: str, port: int) -> list[str]:
    """The same gunicorn settings for Django and the floor; only the application differs.

    Both load bench/gunicorn_count.py: per-request SQL statement counts under load (see that file).
    """
    common = [
        GUNICORN,
        "--config",
        "bench/gunicorn_count.py",
        "--workers",
        str(args.workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--keep-alive",
        "2",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--no-control-socket",
    ]
    if app == "django":
        return [*common, "project.wsgi:application"]
    return [*common, "--pythonpath", "bench", "floor:application"]


def http_get(port: int, path: str, headers: dict, timeout=10.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_server(args, app: str, port: int, env: dict, logs: Path) -> subprocess.Popen:
    log_file = (logs / f"{app}.log").open("ab")
    proc = subprocess.Popen(
        gunicorn_cmd(args, app, port),
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    PROCESSES.append(proc)
    return proc


def wait_ready(proc, port: int, path: str, headers: dict, timeout=60.0):
    """The first answer of the endpoint (status, body) once the server accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            return http_get(port, path, headers)
        except (ConnectionError, OSError, http.client.HTTPException):
            time.sleep(0.2)
    raise RuntimeError("server did not answer in time")


def worker_rss(proc: subprocess.Popen) -> dict:
    """Peak RSS (VmHWM) of each gunicorn worker (the master's children), in MB."""
    peaks = []
    for pid in worker_pids(proc):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return {"workers": len(peaks), "max_mb": round(max(peaks), 1) if peaks else None, "sum_mb": round(sum(peaks), 1)}


def cpu_seconds(pids) -> float:
    """User + system CPU time of processes, in seconds (processes that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def worker_pids(proc: subprocess.Popen) -> list[str]:
    try:
        return Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        return []


def backend_pids(args, application_name: str) -> list[int]:
    """PostgreSQL backends of one server (its workers' persistent connections, named after it)."""
    with pg(args.pg_url, "postgres") as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s", (args.db, application_name)
        ).fetchall()
    return [r[0] for r in rows]


def wrk(args, port: int, path: str, headers: dict, seconds: int, phase: str) -> dict:
    """One wrk run: its summary line (requests, duration, bytes, errors, latency distribution)."""
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s", "--timeout", "10s"]
    cmd += ["-s", WRK_SCRIPT, "-H", f"X-Bench-Phase: {phase}"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    return json.loads(match.group(1))


def merged_percentile(slices: list[dict], p: float) -> float:
    """The p-th percentile (microseconds) of the requests of several runs taken together.

    Each run gives its latency distribution as (percentile, value) points; the merged distribution
    function is the request-weighted mean of theirs, each interpolated linearly between its points.
    """
    runs = [(s["requests"], [(0.0, s["latency_us"]["min"]), *((q, v) for q, v in s["q"])]) for s in slices]
    runs = [(n, points) for n, points in runs if n > 0]
    total = sum(n for n, _ in runs)
    if not total:
        return 0.0

    def cdf(x: float) -> float:
        share = 0.0
        for n, points in runs:
            below = 100.0
            for (q0, v0), (q1, v1) in itertools.pairwise(points):
                if x < v1:
                    below = q0 if v1 == v0 else q0 + (q1 - q0) * max(x - v0, 0) / (v1 - v0)
                    break
            share += n * below / 100
        return share / total

    values = sorted({v for _, points in runs for _, v in points})
    previous, previous_f = values[0], cdf(values[0])
    for value in values:
        f = cdf(value)
        if f >= p / 100:
            if f == previous_f:
                return value
            return previous + (value - previous) * (p / 100 - previous_f) / (f - previous_f)
        previous, previous_f = value, f
    return values[-1]


MIXED_SUMS = ("reads", "writes", "write_errors", "checks", "check_errors", "unchecked", "stale")


def summarize(slices: list[dict]) -> dict:
    """req/s, latency percentiles and errors of the measured slices of one server (wrk's or the driver's)."""
    requests = sum(s["requests"] for s in slices)
    seconds = sum(s["duration_us"] for s in slices) / 1e6
    errors = {key: sum(s["errors"][key] for s in slices) for key in slices[0]["errors"]}
    mean = sum(s["latency_us"]["mean"] * s["requests"] for s in slices) / max(requests, 1)
    out = {
        "rps": round(requests / seconds, 1),
        "requests": requests,
        "seconds": round(seconds, 2),
        "p50_ms": round(merged_percentile(slices, 50) / 1000, 2),
        "p90_ms": round(merged_percentile(slices, 90) / 1000, 2),
        "p99_ms": round(merged_percentile(slices, 99) / 1000, 2),
        "mean_ms": round(mean / 1000, 2),
        "max_ms": round(max(s["latency_us"]["max"] for s in slices) / 1000, 2),
        "errors": errors,
        "mb_per_s": round(sum(s["bytes"] for s in slices) / seconds / 1e6, 2),
        "slices_rps": [round(s["requests"] / (s["duration_us"] / 1e6)) for s in slices],
        "slices_p50_p99_ms": [
            [round(s["latency_us"]["p50"] / 1000, 1), round(s["latency_us"]["p99"] / 1000, 1)] for s in slices
        ],
    }
    if "mixed" in slices[0]:
        mixed = {key: sum(s["mixed"][key] for s in slices) for key in MIXED_SUMS}
        mixed["writes_by_kind"] = {
            kind: sum(s["mixed"]["writes_by_kind"][kind] for s in slices)
            for kind in slices[0]["mixed"]["writes_by_kind"]
        }
        mixed["stale_examples"] = [e for s in slices for e in s["mixed"]["stale_examples"]][:5]
        weights = [(s["mixed"]["writes"], s["mixed"]["write_p50_us"], s["mixed"]["write_p99_us"]) for s in slices]
        total = sum(w for w, _, _ in weights) or 1
        mixed["write_p50_ms_approx"] = round(sum(w * p50 for w, p50, _ in weights) / total / 1000, 2)
        mixed["write_p99_ms_max"] = round(max(p99 for _, _, p99 in weights) / 1000, 2)
        # The reads alone (the endpoint's and the check reads, the misses the writes cause included): what the
        # p99/p50 target judges in a mixed run, as the statement bound counts read requests only.
        reads = [
            {
                "requests": s["mixed"]["reads"],
                "latency_us": {"min": s["mixed"]["read_min_us"]},
                "q": s["mixed"]["read_q"],
            }
            for s in slices
        ]
        mixed["read_p50_ms"] = round(merged_percentile(reads, 50) / 1000, 2)
        mixed["read_p99_ms"] = round(merged_percentile(reads, 99) / 1000, 2)
        out["mixed"] = mixed
    return out


def reads_p50_p99(summary: dict) -> tuple[float | None, float | None]:
    """p50 and p99 (ms) of the endpoint's reads in a summary(): every request of a read-only run (wrk's), the
    reads of a mixed run (its writes are other endpoints, reported apart: write p50 and p99)."""
    latency = summary.get("mixed") or {"read_p50_ms": summary.get("p50_ms"), "read_p99_ms": summary.get("p99_ms")}
    return latency.get("read_p50_ms"), latency.get("read_p99_ms")


def reads_p99_over_p50(summary: dict) -> float | None:
    """What the p99/p50 target judges: reads_p50_p99()'s ratio."""
    p50, p99 = reads_p50_p99(summary)
    return p99 / p50 if p50 and p99 is not None else None


APPS = ("django", "floor")
KINDS = ("read", "mixed")


def snapshot_state(conn, people: dict) -> dict:
    """What the mixed run's writes change, as it is before them (restore_state puts it back)."""
    viewer, followed = people["viewer_id"], people["detail_user_id"]
    follow = conn.execute(
        "SELECT id, follower_id, followed_id, created_at FROM accounts_follow "
        "WHERE follower_id = %s AND followed_id = %s",
        (viewer, followed),
    ).fetchone()
    return {
        "max_post_id": conn.execute("SELECT coalesce(max(id), 0) FROM posts_post").fetchone()[0],
        "follow": follow,
        "about_me": conn.execute("SELECT about_me FROM accounts_user WHERE id = %s", (viewer,)).fetchone()[0],
    }


def restore_state(conn, people: dict, snapshot: dict) -> int:
    """The database as before the writes (their posts deleted, the follow and about_me put back); posts deleted."""
    viewer, followed = people["viewer_id"], people["detail_user_id"]
    deleted = conn.execute("DELETE FROM posts_post WHERE id > %s", (snapshot["max_post_id"],)).rowcount
    conn.execute("UPDATE posts_postcounter SET posts = posts - %s WHERE slot = 0", (deleted,))  # posts.counting
    conn.execute("DELETE FROM accounts_follow WHERE follower_id = %s AND followed_id = %s", (viewer, followed))
    if snapshot["follow"]:
        conn.execute(
            "INSERT INTO accounts_follow (id, follower_id, followed_id, created_at) VALUES (%s, %s, %s, %s)",
            snapshot["follow"],
        )
    conn.execute("UPDATE accounts_user SET about_me = %s WHERE id = %s", (snapshot["about_me"], viewer))
    # Keep the tables all-visible (index-only counts) and their statistics as after seeding.
    conn.execute("VACUUM (ANALYZE) posts_post, posts_postcounter, accounts_follow, accounts_user")
    return deleted


def read_counts(folder: Path) -> dict[str, dict[int, int]]:
    """The statement histograms the workers of one server wrote at their exit, added up."""
    merged: dict[str, dict[int, int]] = {}
    for path in folder.glob("*.json"):
        for key, histogram in json.loads(path.read_text()).items():
            into = merged.setdefault(key, {})
            for n, c in histogram.items():
                into[int(n)] = into.get(int(n), 0) + c
    return merged


def count_summary(histograms: dict, keys) -> dict | None:
    """max and mean statements per request over the histograms named by `keys` (None if no request)."""
    total: dict[int, int] = {}
    for key in keys:
        for n, c in histograms.get(key, {}).items():
            total[n] = total.get(n, 0) + c
    requests = sum(total.values())
    if not requests:
        return None
    return {
        "requests": requests,
        "max": max(total),
        "mean": round(sum(n * c for n, c in total.items()) / requests, 2),
        "histogram": {str(n): total[n] for n in sorted(total)},
    }


def compare_pair(args, endpoint, path, headers) -> dict | None:
    """The two servers' JSON answers of an API endpoint now (None for the HTML pages)."""
    if not endpoint["kind"].startswith("api"):
        return None
    bodies = {}
    for app, port in (("django", args.django_port), ("floor", args.floor_port)):
        status, body = http_get(port, path, headers)
        if status != 200:
            return {"equal": False, "difference": f"{app} answered {status}"}
        bodies[app] = body.decode("utf-8", "replace")
    return compare_json(bodies["django"], bodies["floor"], args.django_port, args.floor_port)


def measure_pair(args, endpoint, people, envs, db_url, logs, cache: Cache, work: Path, write_check: bool) -> dict:
    """Django and the floor on one endpoint with one cache: the read-only run, then the mixed run.

    Both servers run under their own gunicorn (both up, one loaded at a time). Each must answer 200, and an
    API endpoint's JSON must be the same bytes. The read-only run: a wrk warm-up of each, then `args.slices`
    wrk runs that alternate between the two (D F, F D, ...). The mixed run: the same with driver.MixedLoad
    (1 request in 20 a write, each checked); after each of the floor's mixed runs Django's cached reads are
    all invalidated (the floor's writes bypass Django's invalidation), the API answers are compared again at
    the end, and the database is put back as it was. CPU time of the workers and of their PostgreSQL
    backends is read around each run; the workers' peak RSS and statement counts once both are stopped.
    """
    from driver import MixedLoad, compare_write_answers

    path, headers = resolve(endpoint, people), auth_headers(endpoint, people)
    ports = {"django": args.django_port, "floor": args.floor_port}
    tag = f"{cache.mode}-{endpoint['name']}"
    count_dirs = {app: work / "counts" / f"{tag}-{app}" for app in APPS}
    procs, loads, snapshot = {}, {}, None
    out = {"first": {app: {} for app in APPS}, "read": None, "mixed": None, "rss": {}}
    slice_seconds = max(1, round(args.duration / args.slices))

    def alternate(measure):
        """`measure(app)` in alternating order; the CPU time of each server's workers and backends around it."""
        slices = {app: [] for app in APPS}
        cpu = {app: [0.0, 0.0] for app in APPS}
        for index in range(args.slices):
            for app in APPS if index % 2 == 0 else APPS[::-1]:
                workers, backends = worker_pids(procs[app]), backend_pids(args, f"bench-{app}")
                before = cpu_seconds(workers), cpu_seconds(backends)
                slices[app].append(measure(app))
                after = cpu_seconds(workers), cpu_seconds(backends)
                cpu[app][0] += after[0] - before[0]
                cpu[app][1] += after[1] - before[1]
        result = {}
        for app in APPS:
            result[app] = summarize(slices[app])
            requests = max(result[app]["requests"], 1)
            result[app]["cpu_ms_per_request"] = {
                "workers": round(cpu[app][0] / requests * 1000, 3),
                "postgres": round(cpu[app][1] / requests * 1000, 3),
            }
        return result

    try:
        for app in APPS:
            shutil.rmtree(count_dirs[app], ignore_errors=True)
            count_dirs[app].mkdir(parents=True)
            app_env = {
                **envs[app],
                "DATABASE_URL": f"{db_url}?application_name=bench-{app}",
                "BENCH_COUNT_DIR": str(count_dirs[app]),
            }
            procs[app] = start_server(args, app, ports[app], app_env, logs)
        for app in APPS:
            status, body = wait_ready(procs[app], ports[app], path, headers)
            out["first"][app] = {"status": status, "bytes": len(body)}
            if status != 200:
                out["error"] = f"{app}: status {status}"
        if "error" in out:
            return out
        out["json_first"] = compare_pair(args, endpoint, path, headers)

        if "read" in args.kinds:
            for app in APPS:
                wrk(args, ports[app], path, headers, args.warmup, "warm")
            out["read"] = alternate(lambda app: wrk(args, ports[app], path, headers, slice_seconds, "read"))

        if "mixed" in args.kinds:
            with pg(args.pg_url, args.db) as conn:
                snapshot = snapshot_state(conn, people)
            if write_check:

                def normalize(app, text):
                    return text.replace(f"127.0.0.1:{ports[app]}", "HOST")

                out["write_answers"] = compare_write_answers(ports, people, db_url, normalize)
                cache.drop_all_scope()
            for app in APPS:
                loads[app] = MixedLoad(ports[app], endpoint, path, headers, people, db_url, f"{tag}-{app}")
            for app in APPS:
                loads[app].run(args.warmup, args.connections, phase="warm")
                if app == "floor":
                    cache.drop_all_scope()

            previous = ["floor"]  # the warm-up ended with the floor's run, and the drop after it

            def mixed_slice(app):
                result = loads[app].run(slice_seconds, args.connections)
                if app == "floor":  # the floor wrote behind Django's back
                    cache.drop_all_scope(after_django=previous[0] == "django")  # (F after F: dropped already)
                previous[0] = app
                return result

            out["mixed"] = alternate(mixed_slice)
            out["json_after_mixed"] = compare_pair(args, endpoint, path, headers)
        for app in APPS:
            out["rss"][app] = worker_rss(procs[app])
        return out
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    finally:
        for proc in procs.values():
            stop(proc)
        for load in loads.values():
            load.close()
        if snapshot is not None:
            with pg(args.pg_url, args.db) as conn:
                out["mixed_posts_deleted"] = restore_state(conn, people, snapshot)
            cache.drop_all_scope(after_django=False)  # the database changed behind Django's back
        out["counts"] = {app: read_counts(count_dirs[app]) for app in APPS}


# --- correctness checks ------------------------------------------------------------------------------------


def floor_capture(people: dict, host: str, db_url: str) -> dict:
    """Each endpoint once in-process through the floor: status, body and the statements it ran."""
    os.environ["DATABASE_URL"] = db_url
    import floor

    counter = StatementCounter().install()
    out = {}
    for endpoint in ENDPOINTS:
        path, headers = resolve(endpoint, people), auth_headers(endpoint, people)
        call(floor.application, path, headers, host=host)
        with counter.counting():
            status, _, body = call(floor.application, path, headers, host=host)
        out[endpoint["name"]] = {"status": status, "statements": list(counter.statements), "bytes": len(body)}
    if floor._connection is not None:
        floor._connection.close()
    return out


def compare_json(django_body: str, floor_body: str, django_port: int, floor_port: int) -> dict:
    """Equal after naming both servers' host the same? (Absolute URLs carry the port.)"""
    a = django_body.replace(f"127.0.0.1:{django_port}", "HOST")
    b = floor_body.replace(f"127.0.0.1:{floor_port}", "HOST")
    if a == b:
        return {"equal": True, "identical_bytes": True}
    try:
        ja, jb = json.loads(a), json.loads(b)
    except ValueError as exc:
        return {"equal": False, "difference": f"not JSON: {exc}"}
    if ja == jb:
        return {"equal": False, "identical_bytes": False, "difference": "same JSON values, different bytes"}
    return {"equal": False, "difference": first_difference(ja, jb)}


def first_difference(a, b, where="$") -> str:
    if type(a) is not type(b):
        return f"{where}: {a!r:.80} != {b!r:.80}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{where}.{key}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{where}[{i}]")
    return f"{where}: {a!r:.80} != {b!r:.80}"


# --- report ----------------------------------------------------------------------------------------------------


def code_fingerprint() -> str:
    """A hash of the project's files outside bench/ (tracked and untracked, not ignored; Markdown aside).

    Taken at the start and at the end of a run: if the application changed in between (servers
    are started per endpoint, so they would load different code), the run is not valid.
    """
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    digest = hashlib.sha256()
    # Documentation (README.md, ...) does not change what the servers run: it may be written during a run.
    for name in sorted(n for n in listing if n and not n.startswith(b"bench/") and not n.endswith(b".md")):
        path = ROOT / os.fsdecode(name)
        if path.is_file():
            digest.update(name + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def git_commit() -> str | None:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or None


def versions(admin) -> dict:
    def pkg(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    return {
        "python": platform.python_version(),
        "django": pkg("Django"),
        "djangorestframework": pkg("djangorestframework"),
        "gunicorn": pkg("gunicorn"),
        "psycopg": pkg("psycopg"),
        "redis": pkg("redis"),
        "postgresql": admin.execute("SHOW server_version").fetchone()[0],
        "wrk": " ".join(wrk_version.split()[:2]),
        "cpus": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
    }


def fmt(value, spec=",.0f", missing="-"):
    return missing if value is None else format(value, spec)


def query_kind(text: str) -> str:
    """A short name for an EXPLAINed query."""
    if text.startswith('SELECT COUNT(*) AS "__count" FROM "posts_post"'):
        return "count of posts"
    if text.startswith('SELECT "posts_post"'):
        return "page of posts"
    return "person + counts"


def background_cpu(seconds: float = 3.0) -> float:
    """Percent of all CPUs busy while the harness itself sleeps (other load on the machine)."""

    def snapshot():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    total0, idle0 = snapshot()
    time.sleep(seconds)
    total1, idle1 = snapshot()
    return round(100 * (1 - (idle1 - idle0) / max(total1 - total0, 1)), 1)


RUN_TITLES = {"read": "read-only", "mixed": "mixed (1 in 20 a write)"}
CACHE_TITLES = {"file": "file cache (embedded default)", "redis": "Redis cache"}


def sql_text(summary: dict | None) -> str:
    return "-" if not summary else f"{summary['max']}/{summary['mean']:.2f}"


def render_text(results: dict) -> str:
    cfg = results["config"]
    lines = [
        f"Microblog benchmark ({results['mode']}) {results['finished_at']} - total {results['total_s']:.0f} s",
        f"{cfg['users']:,} users x {cfg['posts_per_user']} posts x {cfg['follows_per_user']} follows; "
        f"gunicorn {cfg['workers']} sync workers; {cfg['connections']} connections (read-only: wrk -t{cfg['threads']}; "
        f"mixed: bench/driver.py); {cfg['warmup']} s warm-up + {cfg['duration']} s ({cfg['slices']} alternating runs) "
        f"per endpoint, server and run; caches: {', '.join(cfg['caches'])}; "
        f"{results['versions']['cpus']} CPUs ({results['versions']['cpu']})",
        "Floor: bench/floor.py, the lean uncached minimum (psycopg 3, no framework).",
        "",
    ]
    header = (
        f"{'endpoint':<34} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99/50':>6} {'floor':>7} {'ratio':>6} "
        f"{'target':>6} {'':>4} {'SQL max/mean':>12} {'floor':>9} {'max':>3} {'':>4} {'RSS MB':>8}"
    )
    for run in results["runs"]:
        mixed = run["kind"] == "mixed"
        title = f"== {RUN_TITLES[run['kind']]}, {CACHE_TITLES[run['cache']]} "
        extra = f" {'writes':>6} {'stale':>5} {'all p99':>7}" if mixed else ""
        lines += [
            title + "=" * max(0, len(header) + len(extra) - len(title)),
            header + extra,
            "-" * (len(header) + len(extra)),
        ]
        for ep in run["endpoints"]:
            dj, fl, t = ep["django"], ep["floor"], ep["targets"]
            if "error" in ep:
                lines.append(f"{ep['label']:<34} ERROR {ep['error']}")
                continue
            rss = f"{fmt(ep['rss'].get('django'), '.0f')}/{fmt(ep['rss'].get('floor'), '.0f')}"
            m = dj.get("mixed", {})
            p50, p99 = reads_p50_p99(dj)
            row = (
                f"{ep['label']:<34} {fmt(dj.get('rps')):>7} {fmt(p50, '.1f'):>7} "
                f"{fmt(p99, '.1f'):>7} {fmt(t['p99']['value'], '.1f'):>6} {fmt(fl.get('rps')):>7} "
                f"{fmt(ep['ratio'], '.2f'):>6} {'>=' + format(t['ratio']['min'], '.2f'):>6} "
                f"{'ok' if t['ratio']['pass'] else 'FAIL':>4} {sql_text(ep['statements']['django']):>12} "
                f"{sql_text(ep['statements']['floor']):>9} {t['queries']['max']:>3} "
                f"{'ok' if t['queries']['pass'] else 'FAIL':>4} {rss:>8}"
            )
            if mixed:
                row += f" {fmt(m.get('writes')):>6} {fmt(m.get('stale')):>5} {fmt(dj.get('p99_ms'), '.1f'):>7}"
            lines.append(row)
        lines.append("")
    lines += [
        "req/s: Django (read-only: wrk; mixed: the Python driver, all requests, writes included); p50, p99 and",
        "p99/50 (the target, <= 3): the endpoint's reads (mixed: its reads and the check reads, the misses the",
        "writes cause included; the writes, other endpoints, are below; all p99: every request, writes too);",
        "floor: the floor's req/s under the same load; ratio = Django req/s / floor req/s.",
        "SQL max/mean: statements per read request that reached PostgreSQL, counted in the workers under load",
        "(a cache hit may need none): Django's max/mean, then the floor's. max: the bound on Django's max.",
        "writes/stale (mixed): writes Django made in the measured runs, and check reads that did not show the",
        "write just before them (target 0). RSS MB: peak RSS (VmHWM) of the largest worker, Django/floor.",
        "",
        "Ratios to the floor (targets: API >= 0.50, pages >= 0.35):",
    ]
    columns = [(run["cache"], run["kind"]) for run in results["runs"]]
    lines.append(f"  {'endpoint':<34}" + "".join(f" {c + ' ' + k:>12}" for c, k in columns))
    by_run = {(run["cache"], run["kind"]): {ep["name"]: ep for ep in run["endpoints"]} for run in results["runs"]}
    for endpoint in results["endpoint_list"]:
        cells = []
        for key in columns:
            ep = by_run[key].get(endpoint["name"])
            cells.append(f"{fmt(ep and ep.get('ratio'), '.2f'):>12}")
        lines.append(f"  {endpoint['label']:<34}" + " ".join(["", *cells]))
    lines += ["", "Mixed runs: writes, check reads and stale reads (Django / floor), write latency (Django):"]
    for run in results["runs"]:
        if run["kind"] != "mixed":
            continue
        for ep in run["endpoints"]:
            dm, fm = ep["django"].get("mixed") or {}, ep["floor"].get("mixed") or {}
            wc = ep["statements"].get("django_writes")
            lines.append(
                f"  {run['cache']:<5} {ep['label']:<34} writes {fmt(dm.get('writes')):>4}/{fmt(fm.get('writes')):<4} "
                f"checks {fmt(dm.get('checks')):>4}/{fmt(fm.get('checks')):<4} stale {fmt(dm.get('stale'))}/"
                f"{fmt(fm.get('stale'))}  write errors {fmt(dm.get('write_errors'))}/{fmt(fm.get('write_errors'))}  "
                f"write p50 ~{fmt(dm.get('write_p50_ms_approx'), '.1f')} ms, "
                f"p99 <= {fmt(dm.get('write_p99_ms_max'), '.1f')} ms  "
                f"SQL/write {sql_text(wc)} "
                f"(floor {sql_text(ep['statements'].get('floor_writes'))})"
            )
            for example in dm.get("stale_examples", []) + fm.get("stale_examples", []):
                lines.append(f"      stale: {example}")
    lines += ["", "CPU per request (ms, measured runs): gunicorn workers and PostgreSQL backends, Django vs floor:"]
    for run in results["runs"]:
        for ep in run["endpoints"]:
            dj = ep["django"].get("cpu_ms_per_request") or {}
            fl = ep["floor"].get("cpu_ms_per_request") or {}
            lines.append(
                f"  {run['cache']:<5} {run['kind']:<5} {ep['label']:<34} workers {fmt(dj.get('workers'), '.2f'):>6} vs "
                f"{fmt(fl.get('workers'), '.2f'):>5}   postgres {fmt(dj.get('postgres'), '.2f'):>5} vs "
                f"{fmt(fl.get('postgres'), '.2f'):>5}"
            )
    lines += ["", "Statements per request in-process (probe.py capture: first request / again), Django vs floor:"]
    for cache, capture in results["capture"].items():
        for endpoint in results["endpoint_list"]:
            cap = capture.get(endpoint["name"])
            if not cap:
                continue
            floor_statements = len(results["floor_capture"][endpoint["name"]]["statements"])
            lines.append(
                f"  {cache:<5} {endpoint['label']:<34} Django {cap['cold']['wire_statements']} / "
                f"{cap['warm']['wire_statements']}   floor {floor_statements}"
            )
    s = results.get("seeding")
    lines += ["", "Seeding (bulk writes):"]
    if s:
        rows = ", ".join(f"{k} {v:,}" for k, v in s["rows"].items())
        lines += [
            f"  rows: {rows} = {s['rows_total']:,}",
            f"  seed_db volume mode: {s['seed_db_s']:.1f} s = {s['seed_db_rows_per_s']:,} rows/s",
            f"  PostgreSQL COPY:     {s['copy_s']:.1f} s = {s['copy_rows_per_s']:,} rows/s",
            f"  ratio {s['ratio']:.2f} (target >= {s['target']:.2f}): {'ok' if s['pass'] else 'FAIL'}"
            f"   [migrate {s['migrate_s']:.1f} s, VACUUM ANALYZE {s['vacuum_analyze_s']:.1f} s, untimed]",
        ]
    else:
        lines.append("  skipped (--reuse-db)")
    lines += [
        "",
        "EXPLAIN (ANALYZE, BUFFERS) of Django's posts queries (a cache miss): an index used, no Seq Scan on",
        "posts_post, and no full index scan (no index condition, half the table or more read):",
    ]
    for name, what in EXPLAIN.items():
        for item in results["explain"].get(name, []):
            kind = query_kind(item["sql"])
            verdict = "ok" if item["pass"] else "FAIL"
            if item["seq_scan_on_posts"]:
                detail = "Seq Scan on posts_post"
            elif item.get("whole_table_count"):
                detail = "index-only, exact count*"
            elif item.get("full_index_scan_on_posts"):
                detail = "full index scan"
            else:
                detail = "index" if item["index_used"] else "no index"
            detail += f", {item.get('posts_rows_read', 0):,} posts rows read"
            lines.append(
                f"  {what:<9} {name:<13} {kind:<16} {verdict:<4} {detail:<46} {fmt(item['execution_ms'], '.2f'):>8} ms"
            )
    if any(item.get("whole_table_count") for items in results["explain"].values() for item in items):
        lines += [
            "  * the exact count of every post (the unfiltered list's COUNT): PostgreSQL keeps no row count, so",
            "    every plan reads every entry; an index-only scan is the cheapest one (README, Performance).",
        ]
    lines += [
        "",
        "Fairness checks (API answers: Django's and the floor's JSON, hosts named alike, must be the same bytes):",
    ]
    for run in results["runs"]:
        for ep in run["endpoints"]:
            checks = []
            for key, label in (("json_first", "first answer"), ("json_after_mixed", "after the writes")):
                check = ep.get(key)
                if key == "json_after_mixed" and run["kind"] != "mixed":
                    continue
                if check is None:
                    checks.append(f"{label}: HTML, same rows, not compared")
                elif check.get("equal"):
                    checks.append(f"{label}: identical bytes")
                else:
                    checks.append(f"{label}: DIFFERS ({check.get('difference')})")
            lines.append(f"  {run['cache']:<5} {run['kind']:<5} {ep['label']:<34} " + "; ".join(checks))
    for cache, answers in results.get("write_answers", {}).items():
        shown = ", ".join(
            f"{what} {'identical' if answers[what]['equal'] else 'DIFFERS'}" for what in ("post", "follow", "about")
        )
        lines.append(f"  {cache:<5} write answers (post: id and time aside; follow; about_me edit): {shown}")
    code = results.get("code", {})
    lines += [
        "",
        f"Code: commit {code.get('commit')}, files {code.get('fingerprint_at_start')}"
        + ("" if code.get("unchanged", True) else f" -> {code.get('fingerprint_at_end')}: CHANGED DURING THE RUN"),
    ]
    machine = results.get("machine", {})
    busy = max(machine.values(), default=0)
    lines += [
        "",
        "Other load on the machine (CPU busy while the harness slept, before seeding / before and after the"
        f" load runs): {machine.get('background_cpu_percent_before_seeding', '-')} % / "
        f"{machine.get('background_cpu_percent_before_load')} % / {machine.get('background_cpu_percent_after_load')} %",
    ]
    if busy > 10:
        lines.append("  WARNING: the machine was not idle: req/s and ratios are not reliable; run again when it is.")
    summary = results["summary"]
    lines += ["", f"Targets: {summary['passed']} passed, {summary['failed']} failed"]
    lines += [f"  FAIL {item}" for item in summary["failures"]]
    return "\n".join(lines) + "\n"


def render_chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    n_eps = max((len(run["endpoints"]) for run in runs), default=1)
    fig, axes = plt.subplots(len(runs), 1, figsize=(11, (0.75 * n_eps + 1.3) * len(runs) + 0.5), squeeze=False)
    cfg = results["config"]
    for ax, run in zip(axes[:, 0], runs, strict=True):
        eps = run["endpoints"]
        labels = [ep["label"] for ep in eps]
        django = [ep["django"].get("rps") or 0 for ep in eps]
        floor = [ep["floor"].get("rps") or 0 for ep in eps]
        ys = range(len(eps))
        height = 0.38
        ax.barh([y - height / 2 for y in ys], django, height, label="Django", color="#2b6cb0")
        ax.barh([y + height / 2 for y in ys], floor, height, label="lean floor (psycopg + json)", color="#a0aec0")
        top = max(django + floor + [1])
        for y, value in zip(ys, django, strict=True):
            ax.text(value, y - height / 2, f" {value:,.0f}", va="center", fontsize=8)
        for y, value in zip(ys, floor, strict=True):
            ax.text(value, y + height / 2, f" {value:,.0f}", va="center", fontsize=8)
        for y, ep in zip(ys, eps, strict=True):
            ratio = ep["ratio"]
            ok = ep["targets"]["ratio"]["pass"]
            text = (
                f"{ratio:.2f}x (target {ep['targets']['ratio']['min']:.2f}) {'ok' if ok else 'FAIL'}"
                if ratio
                else "n/a"
            )
            if run["kind"] == "mixed" and ep["django"].get("mixed"):
                text += f", stale {ep['django']['mixed']['stale']}"
            ax.text(
                max(ep["django"].get("rps") or 0, ep["floor"].get("rps") or 0) + top * 0.09,
                y,
                text,
                va="center",
                fontsize=9,
                color="#276749" if ok else "#c53030",
            )
        ax.set_yticks(list(ys), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.6)
        ax.set_title(f"{RUN_TITLES[run['kind']]}, {CACHE_TITLES[run['cache']]}", fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[-1, 0].set_xlabel("requests per second (higher is better)")
    fig.suptitle(
        f"Django vs lean floor, req/s - {cfg['users']:,} users, {cfg['users'] * cfg['posts_per_user']:,} posts; "
        f"{cfg['workers']} sync workers, {cfg['connections']} connections, {cfg['duration']} s"
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))  # room for the suptitle
    fig.savefig(path, dpi=110)
    plt.close(fig)


def assemble(args, people, capture, floor_cap, pairs, seeding, vers, env_public) -> dict:
    failures, passed = [], 0

    def judge(ok: bool, failure: str):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(failure)

    runs, write_answers = [], {}
    for cache in args.caches:
        for kind in args.kinds:
            endpoints = []
            for endpoint in ENDPOINTS:
                pair = pairs.get((cache, endpoint["name"]))
                if pair is None:
                    continue
                name, ekind, label = endpoint["name"], endpoint["kind"], endpoint["label"]
                where = f"{cache} {kind}: {label}"
                entry = {
                    "name": name,
                    "label": label,
                    "path": resolve(endpoint, people),
                    "kind": ekind,
                    "auth": endpoint["auth"],
                    "rss": {app: (pair["rss"].get(app) or {}).get("max_mb") for app in APPS},
                    "rss_detail": pair["rss"],
                    "first_answer": pair["first"],
                    "json_first": pair.get("json_first"),
                }
                result = pair.get(kind)
                if result is None:
                    entry.update({"error": pair.get("error", "not measured"), "django": {}, "floor": {}, "ratio": None})
                    entry["statements"] = {"django": None, "floor": None}
                    entry["targets"] = {
                        "ratio": {"min": MIN_RATIO[ekind], "value": None, "pass": False},
                        "queries": {"max": MAX_QUERIES[ekind], "value": None, "pass": False},
                        "p99": {"max": MAX_P99_OVER_P50, "value": None, "pass": False},
                    }
                    failures.append(f"{where}: not measured ({entry['error']})")
                    endpoints.append(entry)
                    continue
                dj, fl = result["django"], result["floor"]
                ratio = dj["rps"] / fl["rps"] if dj.get("rps") and fl.get("rps") else None
                p99, fp99 = reads_p99_over_p50(dj), reads_p99_over_p50(fl)
                counts = pair["counts"]
                statements = {
                    "django": count_summary(counts["django"], [f"{kind}:read"]),
                    "floor": count_summary(counts["floor"], [f"{kind}:read"]),
                }
                if kind == "mixed":
                    statements["django_writes"] = count_summary(counts["django"], ["mixed:write"])
                    statements["floor_writes"] = count_summary(counts["floor"], ["mixed:write"])
                django_max = statements["django"]["max"] if statements["django"] else None
                targets = {
                    "ratio": {
                        "min": MIN_RATIO[ekind],
                        "value": ratio,
                        "pass": ratio is not None and ratio >= MIN_RATIO[ekind],
                    },
                    "queries": {
                        "max": MAX_QUERIES[ekind],
                        "value": django_max,
                        "mean": statements["django"]["mean"] if statements["django"] else None,
                        "pass": django_max is not None and django_max <= MAX_QUERIES[ekind],
                    },
                    "p99": {"max": MAX_P99_OVER_P50, "value": p99, "pass": p99 is not None and p99 <= MAX_P99_OVER_P50},
                }
                judge(targets["ratio"]["pass"], f"{where}: req/s ratio to floor = {fmt(ratio, '.2f')}")
                judge(targets["queries"]["pass"], f"{where}: statements per read request, max = {django_max}")
                judge(targets["p99"]["pass"], f"{where}: p99/p50 = {fmt(p99, '.2f')}")
                errors = sum(dj.get("errors", {}).values())
                if errors and kind == "read":
                    failures.append(f"{where}: {errors} Django requests failed")
                if entry["json_first"] is not None:
                    judge(
                        entry["json_first"].get("equal"),
                        f"{where}: JSON differs from the floor's: {entry['json_first'].get('difference')}",
                    )
                if kind == "mixed":
                    entry["json_after_mixed"] = pair.get("json_after_mixed")
                    if entry["json_after_mixed"] is not None:
                        judge(
                            entry["json_after_mixed"].get("equal"),
                            f"{where}: after the writes, JSON differs from the floor's: "
                            f"{entry['json_after_mixed'].get('difference')}",
                        )
                    stale = dj["mixed"]["stale"]
                    targets["stale"] = {"max": 0, "value": stale, "pass": stale == 0}
                    judge(stale == 0, f"{where}: {stale} stale reads ({'; '.join(dj['mixed']['stale_examples'][:2])})")
                    write_errors = dj["mixed"]["write_errors"] + dj["mixed"]["check_errors"]
                    if write_errors:
                        failures.append(f"{where}: {write_errors} writes or check reads failed")
                    if fl["mixed"]["stale"] or fl["mixed"]["write_errors"]:
                        failures.append(f"{where}: the floor had stale reads or failed writes (harness problem)")
                    entry["mixed_posts_deleted"] = pair.get("mixed_posts_deleted")
                    if "write_answers" in pair:
                        write_answers[cache] = pair["write_answers"]
                entry.update(
                    {
                        "django": dj,
                        "floor": fl,
                        "ratio": round(ratio, 3) if ratio else None,
                        "floor_p99_over_p50": round(fp99, 2) if fp99 else None,
                        "statements": statements,
                        "targets": targets,
                    }
                )
                endpoints.append(entry)
            runs.append({"cache": cache, "kind": kind, "endpoints": endpoints})
    for cache, answers in write_answers.items():
        for what in ("post", "follow", "about"):
            judge(answers[what]["equal"], f"{cache}: the {what} write's answer differs from the floor's")
    explain = {}
    first_capture = capture[args.caches[0]] if capture else {}
    for name in EXPLAIN:
        if name not in first_capture:
            continue
        explain[name] = first_capture[name].get("explain", [])
        for item in explain[name]:
            why = (
                "seq scan"
                if item["seq_scan_on_posts"]
                else "full index scan"
                if item.get("full_index_scan_on_posts")
                else "no index"
            )
            judge(item["pass"], f"EXPLAIN {EXPLAIN[name]} ({name}), {query_kind(item['sql'])}: {why}")
    if seeding:
        judge(seeding["pass"], f"seed_db / COPY rows/s = {seeding['ratio']:.2f}")
    public_people = {k: v for k, v in people.items() if k not in ("token", "session_key", "csrf_secret")}
    for cap in capture.values():
        for entry in cap.values():
            entry.pop("explain", None)
    return {
        "mode": args.mode,
        "config": {
            "users": args.users,
            "posts_per_user": args.posts_per_user,
            "follows_per_user": args.follows_per_user,
            "duration": args.duration,
            "warmup": args.warmup,
            "slices": args.slices,
            "connections": args.connections,
            "threads": args.threads,
            "workers": args.workers,
            "db": args.db,
            "caches": args.caches,
            "kinds": args.kinds,
            "redis_url": args.redis_url if "redis" in args.caches else None,
            "write_every": 20,
            "gunicorn": " ".join(gunicorn_cmd(args, "django", args.django_port)[1:]),
            "environment": env_public,
        },
        "people": public_people,
        "versions": vers,
        "seeding": seeding,
        "endpoint_list": [
            {"name": e["name"], "label": e["label"]}
            for e in ENDPOINTS
            if any((c, e["name"]) in pairs for c in args.caches)
        ],
        "runs": runs,
        "write_answers": write_answers,
        "capture": capture,
        "floor_capture": floor_cap,
        "explain": explain,
        "summary": {"passed": passed, "failed": len(failures), "failures": failures},
    }


# --- main ----------------------------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Benchmark the project against the lean floor (see bench/README.md).",
    )
    parser.add_argument("--quick", action="store_true", help="Smoke mode: --users 500 --duration 5 --warmup 2.")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--posts-per-user", type=int, default=100)
    parser.add_argument("--follows-per-user", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20, help="Measured seconds per endpoint, server and run.")
    parser.add_argument("--warmup", type=int, default=5, help="Warm-up seconds of each server, per endpoint and run.")
    parser.add_argument(
        "--slices", type=int, default=4, help="Measured runs per server and endpoint, alternating with the other."
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (read-only runs).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (both servers).")
    parser.add_argument(
        "--cache",
        choices=("file", "redis", "both"),
        default="both",
        help="Django's cache: the embedded file cache (a private CACHE_DIR), Redis (--redis-url, flushed first), "
        "or both one after the other (default).",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="CACHE_URL of the Redis runs (its database is flushed).",
    )
    parser.add_argument(
        "--kind",
        choices=("read", "mixed", "both"),
        default="both",
        help="read-only runs (wrk), mixed runs (1 request in 20 a write, bench/driver.py), or both (default).",
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="microblog_bench")
    parser.add_argument("--copy-db", default="microblog_bench_copy")
    parser.add_argument("--keep-copy-db", action="store_true", help="Keep the COPY floor's database.")
    parser.add_argument("--reuse-db", action="store_true", help="Skip creating and seeding (no seeding results).")
    parser.add_argument("--only", help="Comma-separated endpoint names to measure (default: all).")
    parser.add_argument("--django-port", type=int, default=8101)
    parser.add_argument("--floor-port", type=int, default=8102)
    parser.add_argument("--seed-timeout", type=int, default=1800, help="Seconds seed_db may take.")
    parser.add_argument("--name", help="Results file name (default: latest, or quick in smoke mode).")
    parser.add_argument(
        "--profile",
        metavar="ENDPOINT",
        choices=[e["name"] for e in ENDPOINTS],
        help="Only cProfile this endpoint in-process against the existing database (after a run), then stop.",
    )
    parser.add_argument("--profile-sort", default="cumulative", help="pstats sort key for --profile.")
    args = parser.parse_args()
    if args.quick:
        defaults = {"users": 10_000, "duration": 20, "warmup": 5}
        quick = {"users": 500, "duration": 5, "warmup": 2}
        for key, value in quick.items():
            if getattr(args, key) == defaults[key]:
                setattr(args, key, value)
    if args.connections < 2:
        parser.error("--connections must be at least 2 (a write's check read comes from another connection)")
    args.caches = ["file", "redis"] if args.cache == "both" else [args.cache]
    args.kinds = list(KINDS) if args.kind == "both" else [args.kind]
    full = (args.users, args.posts_per_user, args.follows_per_user) == (10_000, 100, 50) and not args.only
    full = full and args.cache == "both" and args.kind == "both"
    args.mode = "full" if full and not args.quick else "quick"
    args.name = args.name or ("latest" if args.mode == "full" else "quick")
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    # On a RAM filesystem where there is one, as the project's default CACHE_DIR (settings.memory_cache_dir).
    memory = os.environ.get("XDG_RUNTIME_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    cache_root = Path(tempfile.mkdtemp(prefix="microblog-bench-", dir=memory))
    atexit.register(shutil.rmtree, cache_root, True)  # atexit runs last-in first: after stop_all
    atexit.register(stop_all)
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (bench/run installs it: apt-get install -y wrk)")
    db_url = re.sub(r"/[^/]*$", f"/{args.db}", args.pg_url)
    setup_cache = cache_root / "setup"
    env_public = {
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": db_url,
        "DATABASE_REPLICA_URL": "",
        "CONN_MAX_AGE": "600",
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "THROTTLE_ANON": "1000000000/second",
        # Seeding, collectstatic and the probes: a private file cache (never the project's var/cache).
        # The servers: per run, the file cache in a fresh private folder, or Redis (see Cache).
        "CACHE_URL": "",
        "CACHE_DIR": str(setup_cache),
        "EMAIL_URL": "consolemail://",
        "TIME_ZONE": "UTC",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env = {
        **os.environ,
        **env_public,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    env.pop("SEED_DEMO_PASSWORD", None)
    results_dir = BENCH / "results"
    logs = results_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()

    if args.profile:
        cmd = [PYTHON, "bench/probe.py", "profile", args.profile, "--sort", args.profile_sort]
        raise SystemExit(subprocess.run(cmd, cwd=ROOT, env=env, timeout=900).returncode)

    caches = {mode: Cache(mode, args, cache_root) for mode in args.caches}
    for cache in caches.values():
        cache.check()
    code_at_start, commit = code_fingerprint(), git_commit()
    admin = pg(args.pg_url, "postgres")
    vers = versions(admin)
    selected = [e for e in ENDPOINTS if not args.only or e["name"] in args.only.split(",")]
    log(
        f"mode {args.mode}: {args.users:,} users x {args.posts_per_user} posts x {args.follows_per_user} follows; "
        f"{len(selected)} endpoints x caches {'+'.join(args.caches)} x runs {'+'.join(args.kinds)} x 2 servers "
        f"x ({args.warmup} + {args.duration}) s"
    )
    work = cache_root / "work"
    work.mkdir()
    seeding = None
    machine = {}
    if args.reuse_db:
        log(f"reusing database {args.db}")
    else:
        machine["background_cpu_percent_before_seeding"] = background_cpu()
        seeding = seed(args, env, admin, work)
        log(
            f"seed_db {seeding['seed_db_rows_per_s']:,} rows/s, COPY {seeding['copy_rows_per_s']:,} rows/s, "
            f"ratio {seeding['ratio']:.2f}"
        )
    admin.close()

    log("collectstatic, token and session for the chosen person")
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env, 300, "collectstatic")
    run([PYTHON, "bench/probe.py", "auth", "--out", str(work / "people.json")], env, 120, "probe auth")
    people = json.loads((work / "people.json").read_text())
    log(
        f"viewer {people['viewer_username']} (id {people['viewer_id']}, follows {people['viewer_following']}); "
        f"profile and detail: {people['profile_username']} (id {people['detail_user_id']})"
    )
    floor_cap = floor_capture(people, f"127.0.0.1:{args.floor_port}", db_url)

    machine["background_cpu_percent_before_load"] = background_cpu()
    log(f"CPU busy while idle (other load on the machine): {machine['background_cpu_percent_before_load']} %")
    capture, pairs = {}, {}
    floor_env = {**env}
    for mode, cache in caches.items():
        cache.empty()
        django_env = {**env, **cache.env}
        log(
            f"{CACHE_TITLES[mode]}: emptied; statements per request in-process (first request, again)"
            + (" and EXPLAIN" if not capture else "")
        )
        cmd = [PYTHON, "bench/probe.py", "capture", "--people", str(work / "people.json")]
        cmd += ["--host", f"127.0.0.1:{args.django_port}", "--out", str(work / f"capture-{mode}.json")]
        run(cmd + (["--no-explain"] if capture else []), django_env, 600, "probe capture")
        capture[mode] = json.loads((work / f"capture-{mode}.json").read_text())
        envs = {"django": django_env, "floor": floor_env}
        write_check = True
        for endpoint in selected:
            log(f"[{mode}] {endpoint['label']}: Django on port {args.django_port}, floor on port {args.floor_port}")
            pair = measure_pair(args, endpoint, people, envs, db_url, logs, cache, work, write_check)
            pairs[(mode, endpoint["name"])] = pair
            if "write_answers" in pair:
                write_check = False
            if "error" in pair:
                log(f"  ERROR {pair['error']} (see bench/results/logs/)")
            for kind in args.kinds:
                result = pair.get(kind)
                if not result:
                    continue
                for app in APPS:
                    r = result[app]
                    extra = ""
                    if "mixed" in r:
                        m = r["mixed"]
                        extra = f", writes {m['writes']}, checks {m['checks']}, stale {m['stale']}"
                    log(
                        f"  {kind:<5} {app:<6} {r['rps']:,.0f} req/s (slices {r['slices_rps']}), p50 {r['p50_ms']} ms, "
                        f"p99 {r['p99_ms']} ms, errors {sum(r['errors'].values())}{extra}"
                    )
    machine["background_cpu_percent_after_load"] = background_cpu()
    results = assemble(args, people, capture, floor_cap, pairs, seeding, vers, env_public)
    results["machine"] = machine
    code_at_end = code_fingerprint()
    results["code"] = {
        "commit": commit,
        "fingerprint_at_start": code_at_start,
        "fingerprint_at_end": code_at_end,
        "unchanged": code_at_start == code_at_end,
    }
    if code_at_start != code_at_end:
        results["summary"]["failures"].insert(0, "the application's files changed during the run: results are mixed")
        results["summary"]["failed"] += 1
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["total_s"] = round(time.perf_counter() - STARTED, 1)
    text = render_text(results)
    (results_dir / f"{args.name}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (results_dir / f"{args.name}.txt").write_text(text)
    render_chart(results, results_dir / f"{args.name}.png")
    print()
    print(text)
    log(f"results: bench/results/{args.name}.json, .txt, .png")


if __name__ == "__main__":
    main()
