"""(2) PostgreSQL restarted, on an instance of the test's own: in the middle of a load, and while idle.

Requests may fail only while it is down, and then only with the promised 503; every gunicorn worker
recovers by itself (same worker processes before and after), and no request sent after the database is
back fails: CONN_HEALTH_CHECKS replaces each worker's broken persistent connection on first use (the quiet
restart is the case that needs it: under load, the outage itself makes every worker drop its connection).
"""

import time
import uuid

import psycopg
import pytest

from tests.reliability import processes
from tests.reliability.load import Load

pytestmark = pytest.mark.reliability

VISITORS = 32
BEFORE, DOWN, AFTER = 6, 5, 8  # seconds of load before the stop, with the database down, after it is back


@pytest.fixture(scope="module")
def site(private_postgres, tmp_path_factory):
    """The project under gunicorn on the private PostgreSQL (CONN_MAX_AGE at its default: persistent connections)."""
    database = private_postgres
    processes.manage(database.url, "migrate", "--noinput", "-v0")
    processes.manage(database.url, "seed_db", "--users", "200", "--posts-per-user", "20", "--follows-per-user", "5")
    people = processes.people_with_credentials(database.url, VISITORS * 2)
    server = processes.Gunicorn(database.url, tmp_path_factory.mktemp("restart"))
    try:
        yield database, server.start(), people
    finally:
        server.stop()


def first_answer_per_worker(server: processes.Gunicorn, outcomes, workers: list[int]) -> dict:
    """For each worker pid, the first of `outcomes` (in time order) that it answered, or None."""
    answered_by = server.workers_by_load_id()
    return {pid: next((o for o in outcomes if answered_by.get(o.load_id) == pid), None) for pid in workers}


def test_requests_fail_only_while_postgresql_is_down_and_only_with_503(site, report):
    database, server, people = site
    workers = server.worker_pids()

    load = Load(server.port, people, visitors=VISITORS, tag=uuid.uuid4().hex[:8]).start()
    try:
        time.sleep(BEFORE)
        down_at = time.monotonic()
        database.stop()  # fast shutdown: every session is terminated, as in a restart
        stopped_at = time.monotonic()
        time.sleep(max(0.0, DOWN - (stopped_at - down_at)))
        up_at = database.start()
        time.sleep(AFTER)
    finally:
        load.stop()

    load.dump(report.artifacts.with_suffix(".jsonl"), since=down_at)
    outcomes = load.outcomes
    failures = [o for o in outcomes if o.failed]
    not_503 = [o for o in failures if o.status != 503]
    malformed = [o for o in failures if o.status == 503 and o.detail]
    outside = [o for o in failures if o.ended < down_at or o.started > up_at]
    after = [o for o in outcomes if o.started > up_at]
    first_after = first_answer_per_worker(server, after, workers)
    with psycopg.connect(database.url, connect_timeout=5) as conn:
        lost = load.lost_writes(conn, allow_unsure=True)

    answered_503 = [o.ended - down_at for o in failures if o.status == 503]
    first_success = min((o.ended for o in outcomes if o.expected and o.ended > up_at), default=None)
    report(
        {
            **load.summary(),
            # Seconds from the stop signal: the fast shutdown took shutdown_s; PostgreSQL accepted again at up_s.
            "shutdown_s": round(stopped_at - down_at, 2),
            "up_s": round(up_at - down_at, 2),
            "answered_503": len(answered_503),
            "first_503_s": round(min(answered_503), 2) if answered_503 else None,
            "last_503_s": round(max(answered_503), 2) if answered_503 else None,
            "first_success_after_up_ms": round((first_success - up_at) * 1000) if first_success else None,
            "requests_after_restart": len(after),
            "first_request_after_restart_per_worker": {
                pid: (o.status, f"answered {(o.ended - up_at) * 1000:.0f} ms after the restart") if o else None
                for pid, o in first_after.items()
            },
            "lost_writes": len(lost),
        }
    )
    assert failures, "no request failed: the database was never seen down, the test proves nothing"
    assert not not_503, f"{len(not_503)} failures were not 503: {list(map(str, not_503[:5]))}"
    assert not malformed, list(map(str, malformed[:5]))
    assert not outside, f"{len(outside)} failures outside the outage: {list(map(str, outside[:5]))}"
    assert server.worker_pids() == workers, "gunicorn workers were restarted: the project did not recover by itself"
    assert all(o and o.expected for o in first_after.values()), f"a worker did not recover: {first_after}"
    assert not lost, lost[:10]
    log = server.log_text()
    first_fault = min((i for i in (log.find("Internal Server Error"), log.find("Traceback")) if i >= 0), default=-1)
    assert first_fault < 0, log[max(0, first_fault - 500) : first_fault + 5000]
    assert "Database unavailable, answered 503" in log  # the middleware logged the outage


def test_after_a_quiet_restart_the_first_request_of_every_worker_succeeds(site, report):
    database, server, people = site
    workers = server.worker_pids()
    warm_up = Load(server.port, people, visitors=8, tag=uuid.uuid4().hex[:8])
    warm_up.run_for(3)
    assert all(first_answer_per_worker(server, warm_up.outcomes, workers).values()), "a worker had no connection"

    down_at = time.monotonic()
    database.stop()  # no request meanwhile: every worker keeps a persistent connection that is now broken
    up_at = database.start()
    load = Load(server.port, people, visitors=8, tag=uuid.uuid4().hex[:8])
    load.run_for(3)

    first = first_answer_per_worker(server, load.outcomes, workers)
    failures = [o for o in load.outcomes if o.failed]
    report(
        {
            **load.summary(),
            "down_s": round(up_at - down_at, 2),
            "first_request_per_worker": {pid: (o.op, o.status) if o else None for pid, o in first.items()},
        }
    )
    assert not failures, f"{len(failures)} requests failed after the restart: {list(map(str, failures[:5]))}"
    assert all(o and o.expected for o in first.values()), first
    assert server.worker_pids() == workers
    with psycopg.connect(database.url, connect_timeout=5) as conn:
        assert not load.lost_writes(conn, allow_unsure=False)
