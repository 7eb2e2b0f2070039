"""(3) 20 registrations of one username (or one email) sent at once: exactly one 201, the others 400, no 500.

Case variants count as the same name (unique in any letter case). The same race on the page form: one
person is registered and signed in (302), the others see the form again with an error (200).
"""

import http.client
import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlencode

import psycopg
import pytest

from tests.reliability import processes

pytestmark = pytest.mark.reliability

RACERS = 20
PASSWORD = "a long passphrase 42"
TIMEOUT = 60


def case_variants(text: str, count: int, seed: int) -> list[str]:
    """`count` spellings of `text`: every other one exactly `text`, the rest in random letter case."""
    rng = random.Random(seed)
    return [text if i % 2 == 0 else "".join(rng.choice((c.lower(), c.upper())) for c in text) for i in range(count)]


def send_at_once(port: int, requests: list[tuple[str, str, dict, bytes]]) -> list[tuple[int, float, str]]:
    """Send every request from its own thread, released together once all are connected."""
    barrier = threading.Barrier(len(requests), timeout=TIMEOUT)
    answers: list = [None] * len(requests)
    released = []

    def send(index: int, method: str, path: str, headers: dict, body: bytes) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.connect()
            if barrier.wait() == 0:
                released.append(time.monotonic())
            conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            body = response.read().decode(errors="replace")
            answers[index] = (response.status, time.monotonic(), body)
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            answers[index] = (None, None, f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=send, args=(i, *r), daemon=True) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 5)
    assert not any(t.is_alive() for t in threads), "a registration did not finish in time"
    # (status, seconds from the release to the answer, body)
    return [(status, round(at - released[0], 2) if status else None, body) for status, at, body in answers]


def api_registrations(port: int, people: list[tuple[str, str]]) -> list[tuple[int, float, str]]:
    body = [json.dumps({"username": u, "email": e, "password": PASSWORD}).encode() for u, e in people]
    headers = {"Content-Type": "application/json"}
    return send_at_once(port, [("POST", "/api/users/", headers, b) for b in body])


def csrf_pair(port: int) -> tuple[str, str]:
    """(cookie, form token) from the register page, as a browser gets them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/accounts/register/", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        html = response.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    finally:
        conn.close()
    return cookie, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def page_registrations(port: int, people: list[tuple[str, str]]) -> list[tuple[int, float, str]]:
    requests = []
    for username, email in people:
        cookie, token = csrf_pair(port)
        form = {"csrfmiddlewaretoken": token, "username": username, "email": email}
        form |= {"password1": PASSWORD, "password2": PASSWORD}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"}
        requests.append(("POST", "/accounts/register/", headers, urlencode(form).encode()))
    return send_at_once(port, requests)


def registered(url: str, column: str, value: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        query = f"SELECT count(*) FROM accounts_user WHERE lower({column}) = lower(%s)"  # column: ours, not input
        return conn.execute(query, (value,)).fetchone()[0]


@pytest.fixture(scope="module")
def site(database_server, migrated_template, static_files, tmp_path_factory):
    """One database and server for the three races (each race uses names of its own)."""
    url = database_server.url_of(database_server.create("race", template=migrated_template))
    server = processes.Gunicorn(url, tmp_path_factory.mktemp("race"))
    try:
        yield url, server.start()
    finally:
        server.stop()


def said_taken(body: str, what: str) -> bool:
    """The 400 says that the username or email is taken, under any key.

    Sequentially it is under the field's key; a racer that gets past the service's own check and loses at the
    model's case-insensitive constraint (in full_clean) gets it under non_field_errors instead.
    """
    errors = json.loads(body)
    return any(f"A user with that {what} already exists." in messages for messages in errors.values())


def assert_one_winner(report, url: str, column: str, value: str, answers, *, won: int, lost: int) -> None:
    """Exactly one `won` answer and RACERS - 1 `lost` ones (no 500, no missing answer); one person stored."""
    statuses = sorted(status or 0 for status, _, _ in answers)
    stored = registered(url, column, value)
    timeline = sorted((seconds, status) for status, seconds, _ in answers if status)
    keys = Counter(
        key for status, _, body in answers if status == 400 and body.startswith("{") for key in json.loads(body)
    )
    report(
        {
            column: value,
            "statuses": dict(Counter(statuses)),
            "in_database": stored,
            "error_keys": dict(keys),
            "answered_after_s": timeline,
        }
    )
    assert statuses == sorted([won] + [lost] * (RACERS - 1)), answers
    assert stored == 1


def test_one_username_registered_at_once_twenty_times_makes_one_person(site, report):
    url, server = site
    name = f"racer{uuid.uuid4().hex[:6]}"
    people = [(u, f"{name}.{i}@example.org") for i, u in enumerate(case_variants(name, RACERS, seed=1))]
    answers = api_registrations(server.port, people)
    assert_one_winner(report, url, "username", name, answers, won=201, lost=400)
    assert all(said_taken(body, "username") for status, _, body in answers if status == 400), answers


def test_one_email_registered_at_once_twenty_times_in_any_letter_case_makes_one_person(site, report):
    url, server = site
    email = f"Racer.{uuid.uuid4().hex[:6]}@Example.org"
    people = [(f"mailracer{i}{uuid.uuid4().hex[:4]}", e) for i, e in enumerate(case_variants(email, RACERS, seed=2))]
    answers = api_registrations(server.port, people)
    assert_one_winner(report, url, "email", email, answers, won=201, lost=400)
    assert all(said_taken(body, "email address") for status, _, body in answers if status == 400), answers


def test_one_username_on_the_register_page_at_once_twenty_times_makes_one_person(site, report):
    url, server = site
    name = f"pageracer{uuid.uuid4().hex[:6]}"
    people = [(u, f"{name}.{i}@example.org") for i, u in enumerate(case_variants(name, RACERS, seed=3))]
    answers = page_registrations(server.port, people)
    assert_one_winner(report, url, "username", name, answers, won=302, lost=200)
    assert all("already" in body for status, _, body in answers if status == 200), answers
