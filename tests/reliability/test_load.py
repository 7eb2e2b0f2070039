"""(1) 60 s of mixed reads and writes from 32 connections: no 5xx, and no write answered as done is lost."""

import uuid

import psycopg
import pytest

from tests.reliability import processes
from tests.reliability.load import Load

pytestmark = pytest.mark.reliability

VISITORS = 32
SECONDS = 60


def test_a_minute_of_mixed_load_answers_no_5xx_and_loses_no_write(new_database, start_gunicorn, report):
    url = new_database()
    processes.manage(url, "seed_db", "--users", "300", "--posts-per-user", "20", "--follows-per-user", "5")
    people = processes.people_with_credentials(url, VISITORS * 2)
    server = start_gunicorn(url)
    workers = server.worker_pids()

    load = Load(server.port, people, visitors=VISITORS, tag=uuid.uuid4().hex[:8])
    load.run_for(SECONDS)

    with psycopg.connect(url, connect_timeout=5) as conn:
        lost = load.lost_writes(conn, allow_unsure=False)
    failures = [o for o in load.outcomes if o.failed]
    report({**load.summary(), "workers": len(workers), "lost_writes": len(lost)})
    assert not failures, f"{len(failures)} failed requests, the first: {list(map(str, failures[:5]))}"
    assert not lost, lost[:10]
    assert server.worker_pids() == workers, "a gunicorn worker died or was restarted"
    assert "Traceback" not in server.log_text()
