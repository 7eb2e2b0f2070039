"""Processes the reliability tests start: gunicorn, manage.py, a private PostgreSQL; each bounded in time.

Every start returns something with a `stop()` that the fixtures call in their teardown, whatever happened.
"""

import contextlib
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

# Production-like settings for every process started here (README: "Configuration").
PRODUCTION_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": secrets.token_urlsafe(50),  # one per test session, shared by every process started here
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "False",
    "SESSION_COOKIE_SECURE": "False",
    "CSRF_COOKIE_SECURE": "False",
    "SECURE_HSTS_SECONDS": "0",
    # The load comes from one address: the throttles would measure themselves, not the project.
    "THROTTLE_ANON": "1000000/minute",
    "THROTTLE_TOKEN": "1000000/minute",
    "THROTTLE_REGISTER": "1000000/hour",
    "DJANGO_SETTINGS_MODULE": "project.settings",
    "PGCONNECT_TIMEOUT": "5",  # libpq: a connection attempt never hangs
}
# Settings a developer's environment may carry that would change what is tested.
IGNORED_ENV = ("DATABASE_REPLICA_URL", "CACHE_URL", "SESSION_ENGINE", "CONN_MAX_AGE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def project_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a project process on `database_url`."""
    env = {k: v for k, v in os.environ.items() if k not in IGNORED_ENV}
    return {**env, **PRODUCTION_ENV, "DATABASE_URL": database_url, **extra}


def manage(database_url: str, *args: str, timeout: float = 180, **extra_env: str) -> str:
    """Run `manage.py <args>` to completion; its stdout. A failure raises with the end of its output."""
    return run_python(["manage.py", *args], database_url, timeout=timeout, **extra_env)


def run_python(args: list[str], database_url: str, *, timeout: float = 180, **extra_env: str) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=project_env(database_url, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )
    return result.stdout


def people_with_credentials(database_url: str, count: int) -> list[dict]:
    """The first `count` people of the database, each with an API token and a signed-in session."""
    return json.loads(run_python(["-m", "tests.reliability.people", str(count)], database_url))


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def stop_group(proc: subprocess.Popen, *, first: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a process started with start_new_session=True, with its children: `first`, then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, first)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# --- PostgreSQL databases on a server the tests do not own ---------------------------------------------


class DatabaseServer:
    """Creates and drops the tests' own databases on the server of DATABASE_URL (never anything else)."""

    def __init__(self, url: str, prefix: str):
        self.url, self.prefix = url, prefix
        self.created: list[str] = []

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url, dbname=dbname, connect_timeout=5, autocommit=True, **kwargs)

    def url_of(self, name: str) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        user = info.get("user", "postgres")
        password = f":{info['password']}" if info.get("password") else ""
        return f"postgres://{user}{password}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{name}"

    def create(self, suffix: str, *, template: str | None = None) -> str:
        name = f"{self.prefix}_{suffix}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(query)
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows in every table of the public schema."""
    tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()
    return {
        t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0] for (t,) in tables
    }


# --- gunicorn ---------------------------------------------------------------------------------------------


class Gunicorn:
    """The project under gunicorn (sync workers, as the README deploys it) on a free loopback port.

    The access log names, for each request, the worker (pid) that answered and the client's X-Load-Id.
    """

    ACCESS_FORMAT = "%({x-load-id}i)s %(p)s %(s)s"

    def __init__(self, database_url: str, folder: Path, *, workers: int = 4, env: dict[str, str] | None = None):
        self.database_url, self.workers = database_url, workers
        self.env = dict(env or {})  # over PRODUCTION_ENV: a test's own throttle rates, CACHE_DIR, CACHE_URL
        self.port = free_port()
        self.log = folder / f"gunicorn-{self.port}.log"
        self.access_log = folder / f"gunicorn-{self.port}-access.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60) -> "Gunicorn":
        cmd = [str(GUNICORN), "project.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        cmd += ["--workers", str(self.workers), "--worker-class", "sync", "--timeout", "30", "--graceful-timeout", "5"]
        cmd += ["--access-logfile", str(self.access_log), "--access-logformat", self.ACCESS_FORMAT]
        cmd += ["--log-level", "warning", "--no-control-socket"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=project_env(self.database_url, **self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, timeout=timeout, what=f"gunicorn on port {self.port} (log: {self.log})")
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        if len(self.worker_pids()) < self.workers:
            return False
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/api/users/?page_size=1")  # a database read: the whole stack answers
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        return sorted(children(self.proc.pid)) if self.proc else []

    def workers_by_load_id(self) -> dict[str, int]:
        """X-Load-Id → pid of the worker that answered it."""
        answered = {}
        for line in self.access_log.read_text().splitlines():
            load_id, pid, _status = line.split()
            if load_id != "-":
                answered[load_id] = int(pid.strip("<>"))
        return answered

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Quick shutdown (SIGINT): a graceful one waits up to graceful-timeout for idle workers."""
        if self.proc:
            stop_group(self.proc, first=signal.SIGINT)


# --- a private PostgreSQL instance --------------------------------------------------------------------------


def postgres_bindir() -> Path:
    """Where initdb and postgres are: $PG_BINDIR, else `pg_config --bindir`, else the PATH."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
        candidates.append(Path(out))
    if shutil.which("postgres"):
        candidates.append(Path(shutil.which("postgres")).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise RuntimeError(f"no initdb + postgres found (looked in {candidates or 'nothing'}); set PG_BINDIR")


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, its own loopback port).

    initdb and postgres refuse to run as root: as root they run as the `postgres` account, in a folder it owns.
    """

    def __init__(self, folder: Path):
        self.bindir = postgres_bindir()
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            account = pwd.getpwnam(self._user)
            os.chown(folder, account.pw_uid, account.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/microblog"

    def _run(self, *args: str) -> None:
        result = subprocess.run(args, user=self._user, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stdout}{result.stderr}")

    def initdb(self) -> "PrivatePostgres":
        options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), *options)
        return self

    def start(self, *, timeout: float = 30) -> float:
        """Start the server; the monotonic time at which it accepts connections."""
        cmd = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.folder)]
        cmd += ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=60"]
        with (self.folder / "postgres.log").open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, user=self._user, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.folder
            )
        wait_until(self.accepts_connections, timeout=timeout, what=f"private PostgreSQL on port {self.port}")
        return time.monotonic()

    def accepts_connections(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"postgres exited: {(self.folder / 'postgres.log').read_text()[-2000:]}")
        try:
            with psycopg.connect(self.url, dbname="postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self) -> None:
        with psycopg.connect(self.url, dbname="postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute("CREATE DATABASE microblog")

    def stop(self, *, mode: int = signal.SIGINT, timeout: float = 30) -> None:
        """SIGINT: PostgreSQL's "fast" shutdown (sessions terminated, then a checkpoint), as a restart does."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(mode)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_group(self.proc, first=signal.SIGQUIT, timeout=5)

    def remove(self, *, keep_log: Path) -> None:
        """Stop the server (immediate shutdown) and delete its folder; its log is copied to `keep_log`."""
        if self.proc:
            stop_group(self.proc, first=signal.SIGQUIT, timeout=10)
        if (self.folder / "postgres.log").is_file():
            keep_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.folder / "postgres.log", keep_log)
        shutil.rmtree(self.folder, ignore_errors=True)
