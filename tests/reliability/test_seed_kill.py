"""(4) A volume seed_db killed (SIGKILL) in the middle leaves the database as it was, table by table."""

import re
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from tests.reliability import processes

pytestmark = pytest.mark.reliability

VOLUME = ["--users", "2000", "--posts-per-user", "20", "--follows-per-user", "5"]
TIMEOUT = 120


def progress_of(output: str, phase: str) -> tuple[int, int] | None:
    """The latest (done, total) of a tqdm bar named `phase` in seed_db's stderr, or None before it shows."""
    found = re.findall(rf"{phase}:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)", output)
    return tuple(map(int, found[-1])) if found else None


def kill_when(proc: subprocess.Popen, ready) -> str:
    """Read the process's stderr until ready(output) holds, then SIGKILL it; the output seen until then."""
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stderr.read1(4096), b"")), daemon=True)
    reader.start()
    deadline = time.monotonic() + TIMEOUT
    while not ready(b"".join(chunks).decode(errors="replace")):
        if proc.poll() is not None:
            raise AssertionError(f"seed_db ended ({proc.returncode}) before the kill: {b''.join(chunks)[-2000:]!r}")
        if time.monotonic() > deadline:
            raise TimeoutError("seed_db never reached the point to kill it at")
        time.sleep(0.005)
    proc.kill()
    proc.wait(timeout=10)
    return b"".join(chunks).decode(errors="replace")


def other_sessions(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("phase", "ready"),
    [
        # In the middle of the posts' COPY: people written, some posts sent, in the open transaction.
        ("posts", lambda out: (p := progress_of(out, "posts")) is not None and 0 < p[0] < p[1]),
        # Everyone and every post written, the follows starting.
        ("follows", lambda out: progress_of(out, "follows") is not None),
    ],
    ids=["during-posts-copy", "as-follows-start"],
)
def test_a_volume_seed_killed_in_the_middle_leaves_every_table_as_it_was(new_database, phase, ready, report):
    url = new_database()
    processes.manage(url, "seed_db")  # the reference organization and demo people: "before" is not empty
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        before = processes.table_counts(conn)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "seed_db", *VOLUME],
        cwd=processes.ROOT,
        # A bar line for every batch (tqdm's TQDM_* defaults): by time alone (every 0.1 s), a COPY faster than
        # that shows only 0 and the total, and the kill "in the middle" never comes.
        env=processes.project_env(url, PYTHONUNBUFFERED="1", TQDM_MININTERVAL="0", TQDM_MINITERS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        output = kill_when(proc, ready)
    finally:
        processes.stop_group(proc, first=9)
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        # The server notices the dead client and rolls its transaction back: wait for that session to go.
        processes.wait_until(lambda: other_sessions(conn) == 0, timeout=30, what="the killed seed_db's session")
        after = processes.table_counts(conn)
    killed_at = {p: progress_of(output, p) for p in ("users", "posts", "follows")}
    report({"killed_at": killed_at, "tables": len(before), "rows_before": sum(before.values()), "after": after})
    assert proc.returncode == -9
    assert "Seeded" not in output
    assert after == before
