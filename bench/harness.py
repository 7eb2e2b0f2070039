"""The benchmark harness (started by `bench/run`; `bench/run --help` lists the options).

1. Creates the PostgreSQL database `microblog_bench` (dropped first), migrates it, copies the empty
   schema to `microblog_bench_copy`, and times `manage.py seed_db` in volume mode; then times
   PostgreSQL COPY of the same rows (users, posts, follows) into the empty copy: the floor for bulk
   writes. VACUUM (ANALYZE) afterwards, untimed, so plans do not depend on when autovacuum runs.
2. Creates an API token and a signed-in session for a seeded person who follows others (probe.py).
3. Runs every endpoint once in-process through Django (probe.py) and through the floor (floor.py)
   to count the SQL statements per request, compare the SQL, and EXPLAIN the posts queries.
4. For each endpoint, starts Django and the floor, each under gunicorn with the same settings,
   checks both answer 200, warms both up with wrk, then measures them in alternating wrk runs (one
   server loaded at a time), reads CPU time per request and the workers' peak RSS, and stops both.
   The JSON answers of both are compared.
5. Writes bench/results/<name>.json, .txt and .png and prints the table.
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


# --- servers and load ----------------------------------------------------------------------------------------


def gunicorn_cmd(args, app: str, port: int) -> list[str]:
    """The same gunicorn settings for Django and the floor; only the application differs."""
    common = [
        GUNICORN,
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


def wrk(args, port: int, path: str, headers: dict, seconds: int) -> dict:
    """One wrk run: its summary line (requests, duration, bytes, errors, latency distribution)."""
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s", "--timeout", "10s"]
    cmd += ["-s", WRK_SCRIPT]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    return json.loads(match.group(1))


def merged_percentile(slices: list[dict], p: float) -> float:
    """The p-th percentile (microseconds) of the requests of several wrk runs taken together.

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


def summarize(slices: list[dict]) -> dict:
    """req/s, latency percentiles and errors of the measured slices of one server."""
    requests = sum(s["requests"] for s in slices)
    seconds = sum(s["duration_us"] for s in slices) / 1e6
    errors = {key: sum(s["errors"][key] for s in slices) for key in slices[0]["errors"]}
    mean = sum(s["latency_us"]["mean"] * s["requests"] for s in slices) / max(requests, 1)
    return {
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


APPS = ("django", "floor")


def measure_pair(args, endpoint: dict, people: dict, env: dict, db_url: str, logs: Path) -> dict:
    """Django and the floor on one endpoint, each under its own gunicorn (both up, one loaded at a time).

    Each must answer 200, is warmed up, then measured in `args.slices` runs that alternate between
    the two (D F, F D, D F, ...), so that a change of load on the machine during the measurement
    weighs on both alike. The CPU time of the workers and of their PostgreSQL backends is read
    around each run; the workers' peak RSS at the end.
    """
    path, headers = resolve(endpoint, people), auth_headers(endpoint, people)
    ports = {"django": args.django_port, "floor": args.floor_port}
    procs, out = {}, {app: {} for app in APPS}
    try:
        for app in APPS:
            app_env = {**env, "DATABASE_URL": f"{db_url}?application_name=bench-{app}"}
            procs[app] = start_server(args, app, ports[app], app_env, logs)
        for app in APPS:
            status, body = wait_ready(procs[app], ports[app], path, headers)
            out[app] = {"status": status, "body": body.decode("utf-8", "replace"), "bytes": len(body)}
            if status != 200:
                out[app]["error"] = f"status {status}"
        if any("error" in out[app] for app in APPS):
            return out
        for app in APPS:
            wrk(args, ports[app], path, headers, args.warmup)
        slice_seconds = max(1, round(args.duration / args.slices))
        slices = {app: [] for app in APPS}
        cpu = {app: [0.0, 0.0] for app in APPS}
        for index in range(args.slices):
            for app in APPS if index % 2 == 0 else APPS[::-1]:
                workers, backends = worker_pids(procs[app]), backend_pids(args, f"bench-{app}")
                before = cpu_seconds(workers), cpu_seconds(backends)
                slices[app].append(wrk(args, ports[app], path, headers, slice_seconds))
                after = cpu_seconds(workers), cpu_seconds(backends)
                cpu[app][0] += after[0] - before[0]
                cpu[app][1] += after[1] - before[1]
        for app in APPS:
            out[app].update(summarize(slices[app]))
            requests = max(out[app]["requests"], 1)
            out[app]["cpu_ms_per_request"] = {
                "workers": round(cpu[app][0] / requests * 1000, 3),
                "postgres": round(cpu[app][1] / requests * 1000, 3),
            }
            out[app]["rss"] = worker_rss(procs[app])
        return out
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        for app in APPS:
            out[app].setdefault("error", str(exc))
        return out
    finally:
        for proc in procs.values():
            stop(proc)


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
        return {"equal": True, "identical_bytes": False}
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


def render_text(results: dict) -> str:
    cfg = results["config"]
    lines = [
        f"Microblog benchmark ({results['mode']}) {results['finished_at']} - total {results['total_s']:.0f} s",
        f"{cfg['users']:,} users x {cfg['posts_per_user']} posts x {cfg['follows_per_user']} follows; "
        f"gunicorn {cfg['workers']} sync workers; wrk -t{cfg['threads']} -c{cfg['connections']} "
        f"{cfg['warmup']} s warm-up + {cfg['duration']} s ({cfg['slices']} alternating runs) per endpoint and server; "
        f"{results['versions']['cpus']} CPUs ({results['versions']['cpu']})",
        "",
    ]
    header = (
        f"{'endpoint':<36} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99/50':>6} {'floor':>7} {'ratio':>6} "
        f"{'target':>6} {'':>4} {'SQL/req':>8} {'floor':>5} {'max':>3} {'':>4} {'RSS MB':>11}"
    )
    lines += [header, "-" * len(header)]
    for ep in results["endpoints"]:
        dj, fl, q, t = ep["django"], ep["floor"], ep["queries"], ep["targets"]
        sql_text = f"{q['django_wire']} ({q['django_orm']}+{q['django_wire'] - q['django_orm']})"
        rss = f"{fmt(dj.get('rss', {}).get('max_mb'), '.0f')}/{fmt(fl.get('rss', {}).get('max_mb'), '.0f')}"
        lines.append(
            f"{ep['label']:<36} {fmt(dj.get('rps')):>7} {fmt(dj.get('p50_ms'), '.1f'):>7} "
            f"{fmt(dj.get('p99_ms'), '.1f'):>7} {fmt(t['p99']['value'], '.1f'):>6} {fmt(fl.get('rps')):>7} "
            f"{fmt(ep['ratio'], '.2f'):>6} {'>=' + format(t['ratio']['min'], '.2f'):>6} "
            f"{'ok' if t['ratio']['pass'] else 'FAIL':>4} {sql_text:>8} {q['floor']:>5} {t['queries']['max']:>3} "
            f"{'ok' if t['queries']['pass'] else 'FAIL':>4} {rss:>11}"
        )
    lines += [
        "",
        "req/s, p50, p99: Django under wrk; floor: bench/floor.py under the same gunicorn settings;",
        "ratio = Django req/s / floor req/s.",
        "SQL/req: statements Django sent per request, counted at the driver (ORM queries + connection health checks);",
        "floor: statements the floor sent. RSS MB: peak RSS (VmHWM) of the largest worker, Django/floor.",
        "",
        "CPU per request (ms, measured run): gunicorn workers and PostgreSQL backends, Django vs floor:",
    ]
    for ep in results["endpoints"]:
        dj = ep["django"].get("cpu_ms_per_request") or {}
        fl = ep["floor"].get("cpu_ms_per_request") or {}
        lines.append(
            f"  {ep['label']:<36} workers {fmt(dj.get('workers'), '.2f'):>6} vs {fmt(fl.get('workers'), '.2f'):>5}"
            f"   postgres {fmt(dj.get('postgres'), '.2f'):>5} vs {fmt(fl.get('postgres'), '.2f'):>5}"
        )
    lines += ["", "Latency (p99 <= 3 x p50 at 8 connections, Django):"]
    for ep in results["endpoints"]:
        t = ep["targets"]["p99"]
        lines.append(
            f"  {ep['label']:<36} p99/p50 = {fmt(t['value'], '.2f')}  {'ok' if t['pass'] else 'FAIL'}"
            f"   (floor: {fmt(ep['floor_p99_over_p50'], '.2f')})"
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
        "EXPLAIN (ANALYZE, BUFFERS) of the posts queries: an index used, no Seq Scan on posts_post, and no",
        "full index scan (no index condition, half the table or more read):",
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
    lines += ["", "Fairness checks:"]
    for ep in results["endpoints"]:
        same = "same SQL as Django" if ep["sql_same"] else "SQL DIFFERS from Django's"
        if ep["json"] is None:
            answer = "(HTML: same rows, not compared)"
        elif ep["json"].get("equal"):
            answer = "JSON equal" + (" (identical bytes)" if ep["json"].get("identical_bytes") else "")
        else:
            answer = f"JSON DIFFERS: {ep['json'].get('difference')}"
        lines.append(f"  {ep['label']:<36} floor: {same}; {answer}")
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

    eps = results["endpoints"]
    labels = [ep["label"] for ep in eps]
    django = [ep["django"].get("rps") or 0 for ep in eps]
    floor = [ep["floor"].get("rps") or 0 for ep in eps]
    fig, ax = plt.subplots(figsize=(11, 0.9 * len(eps) + 1.8))
    ys = range(len(eps))
    height = 0.38
    ax.barh([y - height / 2 for y in ys], django, height, label="Django", color="#2b6cb0")
    ax.barh([y + height / 2 for y in ys], floor, height, label="floor (psycopg + json)", color="#a0aec0")
    top = max(django + floor + [1])
    for y, value in zip(ys, django, strict=True):
        ax.text(value, y - height / 2, f" {value:,.0f}", va="center", fontsize=8)
    for y, value in zip(ys, floor, strict=True):
        ax.text(value, y + height / 2, f" {value:,.0f}", va="center", fontsize=8)
    for y, ep in zip(ys, eps, strict=True):
        ratio = ep["ratio"]
        ok = ep["targets"]["ratio"]["pass"]
        text = f"{ratio:.2f}x (target {ep['targets']['ratio']['min']:.2f}) {'ok' if ok else 'FAIL'}" if ratio else "n/a"
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
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel("requests per second (higher is better)")
    cfg = results["config"]
    ax.set_title(
        f"Django vs floor, req/s - {cfg['users']:,} users, {cfg['users'] * cfg['posts_per_user']:,} posts; "
        f"{cfg['workers']} sync workers, wrk -c{cfg['connections']}, {cfg['duration']} s"
    )
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def assemble(args, selected, people, capture, floor_cap, runs, seeding, vers, env_public) -> dict:
    endpoints, failures, passed = [], [], 0
    explain = {}
    for endpoint in selected:
        name, kind = endpoint["name"], endpoint["kind"]
        dj, fl = runs[name]["django"], runs[name]["floor"]
        cap, fcap = capture[name], floor_cap[name]
        ratio = dj["rps"] / fl["rps"] if dj.get("rps") and fl.get("rps") else None
        p99 = dj["p99_ms"] / dj["p50_ms"] if dj.get("p50_ms") else None
        fp99 = fl["p99_ms"] / fl["p50_ms"] if fl.get("p50_ms") else None
        orm_sql = [q["sql"] for q in cap["queries"]]
        sql_same = orm_sql == fcap["statements"]
        json_check = None
        if kind.startswith("api") and "body" in dj and "body" in fl:
            json_check = compare_json(dj["body"], fl["body"], args.django_port, args.floor_port)
        targets = {
            "ratio": {"min": MIN_RATIO[kind], "value": ratio, "pass": ratio is not None and ratio >= MIN_RATIO[kind]},
            "queries": {
                "max": MAX_QUERIES[kind],
                "value": cap["wire_statements"],
                "pass": cap["status"] == 200 and cap["wire_statements"] <= MAX_QUERIES[kind],
            },
            "p99": {"max": MAX_P99_OVER_P50, "value": p99, "pass": p99 is not None and p99 <= MAX_P99_OVER_P50},
        }
        for key, label in (("ratio", "req/s ratio to floor"), ("queries", "queries/request"), ("p99", "p99/p50")):
            if targets[key]["pass"]:
                passed += 1
            else:
                value = targets[key]["value"]
                shown = fmt(value, ".2f") if isinstance(value, float) else value
                failures.append(f"{endpoint['label']}: {label} = {shown}")
        if name in EXPLAIN:
            explain[name] = cap.get("explain", [])
            for item in explain[name]:
                if item["pass"]:
                    passed += 1
                else:
                    why = (
                        "seq scan"
                        if item["seq_scan_on_posts"]
                        else "full index scan"
                        if item.get("full_index_scan_on_posts")
                        else "no index"
                    )
                    failures.append(f"EXPLAIN {EXPLAIN[name]} ({name}), {query_kind(item['sql'])}: {why}")
        for side in (dj, fl):
            side.pop("body", None)
        endpoints.append(
            {
                "name": name,
                "label": endpoint["label"],
                "path": resolve(endpoint, people),
                "kind": kind,
                "auth": endpoint["auth"],
                "django": dj,
                "floor": fl,
                "ratio": round(ratio, 3) if ratio else None,
                "floor_p99_over_p50": round(fp99, 2) if fp99 else None,
                "queries": {
                    "django_wire": cap["wire_statements"],
                    "django_orm": cap["orm_queries"],
                    "floor": len(fcap["statements"]),
                    "django_statements": cap["statements"],
                    "floor_statements": fcap["statements"],
                },
                "django_inprocess_status": cap["status"],
                "floor_inprocess_status": fcap["status"],
                "sql_same": sql_same,
                "json": json_check,
                "targets": targets,
            }
        )
        if not sql_same:
            failures.append(f"{endpoint['label']}: the floor's SQL differs from Django's (comparison unfair)")
        if json_check is not None and not json_check["equal"]:
            failures.append(f"{endpoint['label']}: the floor's JSON differs from Django's: {json_check['difference']}")
    if seeding:
        if seeding["pass"]:
            passed += 1
        else:
            failures.append(f"seed_db / COPY rows/s = {seeding['ratio']:.2f}")
    public_people = {k: v for k, v in people.items() if k not in ("token", "session_key")}
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
            "gunicorn": " ".join(gunicorn_cmd(args, "django", args.django_port)[1:]),
            "environment": env_public,
        },
        "people": public_people,
        "versions": vers,
        "seeding": seeding,
        "endpoints": endpoints,
        "explain": explain,
        "summary": {"passed": passed, "failed": len(failures), "failures": failures},
    }


# --- main ----------------------------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Benchmark the project against a minimal floor (see bench/README.md).",
    )
    parser.add_argument("--quick", action="store_true", help="Smoke mode: --users 500 --duration 5 --warmup 2.")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--posts-per-user", type=int, default=100)
    parser.add_argument("--follows-per-user", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20, help="Measured seconds per endpoint and server.")
    parser.add_argument("--warmup", type=int, default=5, help="Warm-up seconds of each server, per endpoint.")
    parser.add_argument(
        "--slices", type=int, default=4, help="Measured runs per server and endpoint, alternating with the other."
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (both servers).")
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
    full = (args.users, args.posts_per_user, args.follows_per_user) == (10_000, 100, 50) and not args.only
    args.mode = "full" if full and not args.quick else "quick"
    args.name = args.name or ("latest" if args.mode == "full" else "quick")
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    atexit.register(stop_all)
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (bench/run installs it: apt-get install -y wrk)")
    db_url = re.sub(r"/[^/]*$", f"/{args.db}", args.pg_url)
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
        "CACHE_URL": "locmemcache://",
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

    code_at_start, commit = code_fingerprint(), git_commit()
    admin = pg(args.pg_url, "postgres")
    vers = versions(admin)
    log(
        f"mode {args.mode}: {args.users:,} users x {args.posts_per_user} posts x {args.follows_per_user} follows; "
        f"{len(ENDPOINTS)} endpoints x 2 servers x ({args.warmup} + {args.duration}) s"
    )
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as tmp:
        work = Path(tmp)
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

        log("counting queries per request in-process (Django, floor) and EXPLAIN")
        run(
            [
                PYTHON,
                "bench/probe.py",
                "capture",
                "--people",
                str(work / "people.json"),
                "--host",
                f"127.0.0.1:{args.django_port}",
                "--out",
                str(work / "capture.json"),
            ],
            env,
            600,
            "probe capture",
        )
        capture = json.loads((work / "capture.json").read_text())
        floor_cap = floor_capture(people, f"127.0.0.1:{args.floor_port}", db_url)

    machine["background_cpu_percent_before_load"] = background_cpu()
    log(f"CPU busy while idle (other load on the machine): {machine['background_cpu_percent_before_load']} %")
    only = set(args.only.split(",")) if args.only else None
    runs = {}
    for endpoint in ENDPOINTS:
        if only and endpoint["name"] not in only:
            continue
        log(f"{endpoint['label']}: Django on port {args.django_port}, floor on port {args.floor_port}")
        runs[endpoint["name"]] = pair = measure_pair(args, endpoint, people, env, db_url, logs)
        for app in APPS:
            result = pair[app]
            if "error" in result:
                log(f"  {app:<6} ERROR {result['error']} (see bench/results/logs/{app}.log)")
            else:
                log(
                    f"  {app:<6} {result['rps']:,.0f} req/s (slices {result['slices_rps']}), "
                    f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {sum(result['errors'].values())}, "
                    f"peak RSS {result['rss']['max_mb']} MB"
                )
    machine["background_cpu_percent_after_load"] = background_cpu()
    selected = [e for e in ENDPOINTS if e["name"] in runs]
    results = assemble(args, selected, people, capture, floor_cap, runs, seeding, vers, env_public)
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
    (results_dir / f"{args.name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (results_dir / f"{args.name}.txt").write_text(text)
    render_chart(results, results_dir / f"{args.name}.png")
    print()
    print(text)
    log(f"results: bench/results/{args.name}.json, .txt, .png")


if __name__ == "__main__":
    main()
