"""(5) The API throttles and the sign-in lockout count in the shared cache: they hold across gunicorn's workers.

gunicorn runs 3 sync workers; every request goes on a new connection, which any waiting worker may take
(mostly the one that answered last: the lockout scenarios and the anonymous burst hold that one with an idle
connection while they send the requests that should be refused), and the access log names the worker (pid)
that answered each one (X-Load-Id → `%(p)s`). With a cache of each process's own, every worker would count
separately: a refusal answered by a worker that had itself seen fewer than the limit proves that the count is
shared. Each scenario checks that at least one of its refusals was of that kind (and tries again, with a new
client address or username, when the workers' turns happened not to show it).

Each test runs with the file cache (CACHE_DIR, a folder of the test's own) and with Redis
(CACHE_URL=$RELIABILITY_REDIS_URL, default redis://127.0.0.1:6379/14): one server per cache, with the
test's own limits (SETTINGS), serves every scenario. Every scenario sends from a loopback address of
its own (127.x.y.z, the throttles' and the lockout's "client address") with usernames of its own, so
its counters are its own: on the same server, in the same window, and in that Redis database, which is
not flushed (another run may be using it; what the server leaves there expires).

The throttles count in fixed windows of the wall clock (core.throttling: time.time() // 60, the same
clock for the server and the test): a burst starts only with at least ROOM seconds left in the current
minute, and if the minute turned during it all the same (two windows, two counts), it is sent again
from a new address (a new counter), right after the turn.
"""

import http.client
import json
import os
import random
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
import redis

from tests.reliability import processes

pytestmark = pytest.mark.reliability

WORKERS = 3
TIMEOUT = 15  # seconds: every socket operation of every request
PASSWORD = "a long passphrase 42"
REDIS_URL = os.environ.get("RELIABILITY_REDIS_URL", "redis://127.0.0.1:6379/14")
ATTEMPTS = 3  # scenarios run again (new address, new username) until a refusal only a shared count explains
ROOM = 10  # seconds a throttle burst needs left in its minute

ANON_LIMIT, ANON_REQUESTS = 20, 30
TOKEN_LIMIT, TOKEN_REQUESTS = 5, 8
BETWEEN_REQUESTS = 0.05  # seconds between the token requests of a burst (see its test)
FAILURE_LIMIT = 3
FAILURE_WINDOW = 12  # seconds: short, so that a test sees the lockout end (the default is 15 minutes)

WRONG_PASSWORD_PAGE = "Please enter a correct username and password"
WRONG_PASSWORD_API = "Unable to sign in with the given username and password"
TOO_MANY_FAILURES = "Too many failed sign-in attempts"
THROTTLED = "Request was throttled"


# --- the server: one per cache, for every scenario ----------------------------------------------------------

TAG = uuid.uuid4().hex[:6]  # in the usernames: a Redis database shared with another run holds no counter of ours
PAGE_VICTIMS = [f"page{TAG}v{i}" for i in range(ATTEMPTS)]
API_VICTIMS = [f"api{TAG}v{i}" for i in range(ATTEMPTS)]
TOKEN_PERSON, WINDOW_VICTIM, BYSTANDER = f"tok{TAG}", f"win{TAG}", f"other{TAG}"
SETTINGS = {
    "THROTTLE_ANON": f"{ANON_LIMIT}/minute",
    "THROTTLE_TOKEN": f"{TOKEN_LIMIT}/minute",
    "SIGNIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
    "SIGNIN_FAILURE_WINDOW": str(FAILURE_WINDOW),
}


@pytest.fixture(scope="module", params=["file", "redis"])
def server(request, database_server, migrated_template, static_files, tmp_path_factory):
    """gunicorn with 3 sync workers and SETTINGS, on a fresh database where the people above have PASSWORD,
    with the file cache (a CACHE_DIR of its own) or Redis; stopped, and its database dropped, at the end."""
    folder = tmp_path_factory.mktemp(f"shared-counters-{request.param}")
    env = {**SETTINGS, "CACHE_DIR": str(folder / "cache")}  # also with Redis: nothing writes to var/cache
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            pytest.fail(f"the Redis variant needs Redis at {REDIS_URL} (RELIABILITY_REDIS_URL): {exc}", pytrace=False)
        env["CACHE_URL"] = REDIS_URL
    name = database_server.create(f"counters_{uuid.uuid4().hex[:6]}", template=migrated_template)
    gunicorn = None
    try:
        url = database_server.url_of(name)
        create = "from accounts.models import User\n" + "".join(
            f"User.objects.create_user(username={u!r}, email={u + '@example.com'!r}, password={PASSWORD!r})\n"
            for u in [*PAGE_VICTIMS, *API_VICTIMS, TOKEN_PERSON, WINDOW_VICTIM, BYSTANDER]
        )
        processes.manage(url, "shell", "-c", create, **env)
        gunicorn = processes.Gunicorn(url, folder, env=env, workers=WORKERS)
        gunicorn.cache = request.param
        gunicorn.start()
        assert len(gunicorn.worker_pids()) == WORKERS
        yield gunicorn
    finally:
        if gunicorn:
            gunicorn.stop()
        database_server.drop(name)


# --- a client of its own address ----------------------------------------------------------------------------


def unique_loopback_address() -> str:
    """An address of 127.0.0.0/8 (all of it is loopback on Linux) other than the 127.0.0.1 of other tests."""
    return "127.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))


@dataclass(eq=False)  # compared by identity
class Answer:
    method: str
    path: str
    status: int
    headers: http.client.HTTPMessage
    body: str
    load_id: str
    pid: int | None = None

    def cookies(self) -> dict[str, str]:
        found = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            found[name.strip()] = rest.split(";")[0]
        return found

    @property
    def signed_in(self) -> bool:
        """The sign-in page's success: a redirect with a new session cookie."""
        return self.status == 302 and bool(self.cookies().get("sessionid"))

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status} (worker {self.pid}): {self.body[:300]!r}"


@dataclass
class Client:
    """Requests to the server from a loopback address of the client's own, each on a new connection."""

    server: processes.Gunicorn
    address: str = field(default_factory=unique_loopback_address)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Answer:
        load_id = uuid.uuid4().hex
        headers = {"Host": "127.0.0.1", "Accept-Language": "en", "X-Load-Id": load_id, **(headers or {})}
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=TIMEOUT, source_address=(self.address, 0)
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        return Answer(method, path, response.status, response.headers, text, load_id)

    @contextmanager
    def holding_a_worker(self) -> Iterator[None]:
        """A connection that sends nothing while the block runs: the worker that takes it waits on it.

        Connections are taken in the order they were made, and of the workers waiting, the one that answered
        last mostly takes the next one (seen: a sign-in scenario's six requests all answered by one worker).
        A request made inside the block is therefore answered by another worker than the one held, most often
        not the one that answered the requests before it. The worker reads end-of-file when the block ends and
        goes back to work (gunicorn ignores a connection closed before its request).
        """
        held = socket.create_connection(("127.0.0.1", self.server.port), TIMEOUT, (self.address, 0))
        try:
            yield
        finally:
            held.close()

    def token(self, username: str, password: str) -> Answer:
        body = json.dumps({"username": username, "password": password}).encode()
        return self.request("POST", "/api/auth/token/", body=body, headers={"Content-Type": "application/json"})

    def csrf(self) -> tuple[str, str]:
        """(cookie, form token) from the sign-in page, as a browser gets them."""
        page = self.request("GET", "/accounts/login/")
        assert page.status == 200, str(page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        return page.cookies()["csrftoken"], token

    def sign_in_page(self, username: str, password: str, csrf: tuple[str, str]) -> Answer:
        cookie, token = csrf
        form = {"username": username, "password": password, "remember_me": "on", "csrfmiddlewaretoken": token}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"}
        return self.request("POST", "/accounts/login/", body=urlencode(form).encode(), headers=headers)


def served_by(server: processes.Gunicorn, answers: list[Answer]) -> list[Answer]:
    """Fill in each answer's worker pid from the access log (written just after the response is sent)."""
    ids = {a.load_id for a in answers}
    processes.wait_until(
        lambda: ids <= server.workers_by_load_id().keys(), timeout=10, what="the access log lines of the requests"
    )
    workers = server.workers_by_load_id()
    for answer in answers:
        answer.pid = workers[answer.load_id]
    return answers


def refusals_only_a_shared_count_explains(
    answers: list[Answer], *, limit: int, counted: Callable[[Answer], bool], refused: Callable[[Answer], bool]
) -> list[Answer]:
    """The refusals answered by a worker that had itself seen fewer than `limit` counted requests before them:
    with a count of its own it would have let them through; only a count shared by the workers refuses them."""
    seen: Counter = Counter()
    found = []
    for answer in answers:
        if refused(answer) and seen[answer.pid] < limit:
            found.append(answer)
        if counted(answer):
            seen[answer.pid] += 1
    return found


def assert_served_by_several_workers(server: processes.Gunicorn, answers: list[Answer]) -> dict[int, int]:
    """The requests were answered by at least two of the server's worker processes; requests per worker."""
    per_worker = Counter(a.pid for a in answers)
    assert set(per_worker) <= set(server.worker_pids()), (per_worker, server.worker_pids())
    assert len(per_worker) >= 2, f"every request was answered by one worker: {per_worker}"
    return dict(per_worker)


# --- the throttles (fixed windows of the wall clock) ------------------------------------------------------------


def window_of(period: int) -> int:
    return int(time.time() // period)  # as core.throttling.FixedWindowThrottle


def in_one_window(burst: Callable[[], list[Answer]], *, period: int = 60) -> list[Answer]:
    """burst() (which sends from a new address each time) inside one window of the throttles' clock."""
    for _ in range(2):
        left = period - time.time() % period
        if left < ROOM:
            time.sleep(left + 0.25)
        window = window_of(period)
        answers = burst()
        if window_of(period) == window:
            return answers
        # The minute turned during the burst: counted in two windows. Again, from a new address, after the turn.
    pytest.fail("the throttle window turned during two bursts in a row")


def figures(answers: list[Answer]) -> dict:
    return {"statuses": [a.status for a in answers], "workers": [a.pid for a in answers]}


def throttled_bursts(server, report, burst: Callable[[], list[Answer]], *, limit: int, total: int) -> list[Answer]:
    """Send `burst` (within one throttle window) until a refusal shows the shared count; check each answer."""
    attempts = []
    for _ in range(ATTEMPTS):
        answers = served_by(server, in_one_window(burst))
        attempts.append(figures(answers))
        assert [a.status for a in answers] == [200] * limit + [429] * (total - limit), list(map(str, answers))
        for refused in answers[limit:]:
            assert THROTTLED in refused.body, str(refused)
            assert 1 <= int(refused.headers["Retry-After"]) <= 60, refused.headers.items()
        shown = refusals_only_a_shared_count_explains(
            answers, limit=limit, counted=lambda a: True, refused=lambda a: a.status == 429
        )
        if shown:
            break
    per_worker = assert_served_by_several_workers(server, answers)
    report({"cache": server.cache, "attempts": attempts, "requests_per_worker": per_worker, "shown_by": len(shown)})
    assert shown, f"no attempt had a refusal by a worker that had itself seen < {limit} requests: {attempts}"
    assert "Traceback" not in server.log_text()
    return answers


def test_anonymous_api_throttle_holds_across_workers(server, report):
    def burst() -> list[Answer]:
        client = Client(server)
        answers = [client.request("GET", "/api/posts/") for _ in range(ANON_LIMIT)]
        with client.holding_a_worker():  # most often the one that answered the last of them (seen: 28 of 30)
            return answers + [client.request("GET", "/api/posts/") for _ in range(ANON_REQUESTS - ANON_LIMIT)]

    throttled_bursts(server, report, burst, limit=ANON_LIMIT, total=ANON_REQUESTS)


def test_token_throttle_holds_across_workers(server, report):
    def burst() -> list[Answer]:
        client, answers = Client(server), []
        for _ in range(TOKEN_REQUESTS):
            answers.append(client.token(TOKEN_PERSON, PASSWORD))
            # A sync worker tries accept() again as soon as it has answered: without a pause, the next connection
            # (sent at once) mostly goes to the worker that answered the last one; with it, every idle worker
            # is back in select() and whichever wakes first takes it. (Seen: all 8 answered by one worker.)
            time.sleep(BETWEEN_REQUESTS)
        return answers

    answers = throttled_bursts(server, report, burst, limit=TOKEN_LIMIT, total=TOKEN_REQUESTS)
    assert len({json.loads(a.body)["token"] for a in answers[:TOKEN_LIMIT]}) == 1


# --- the sign-in lockout ----------------------------------------------------------------------------------------


def lockout_shown(failures: list[Answer], refused: Answer) -> bool:
    """The refusal came from a worker that had answered fewer than FAILURE_LIMIT of the failures itself."""
    return bool(
        refusals_only_a_shared_count_explains(
            [*failures, refused], limit=FAILURE_LIMIT, counted=lambda a: a in failures, refused=lambda a: a is refused
        )
    )


def within_the_window(first_failure: float) -> None:
    """The scenario saw the lockout before its window ended (else a refusal could not be expected)."""
    took = time.monotonic() - first_failure
    assert took < FAILURE_WINDOW - 1, f"too slow: {took:.1f} s from the first failure, the window is {FAILURE_WINDOW} s"


def test_sign_in_lockout_holds_across_workers_on_the_page(server, report):
    """After FAILURE_LIMIT wrong passwords, the right one is refused with the reason; another username signs in."""
    attempts = []
    for victim in PAGE_VICTIMS:
        client = Client(server)
        csrf = client.csrf()
        first = time.monotonic()
        failures = [client.sign_in_page(victim, f"wrong {i}", csrf) for i in range(FAILURE_LIMIT)]
        with client.holding_a_worker():  # most often the one that answered the failures
            refused = client.sign_in_page(victim, PASSWORD, csrf)
        within_the_window(first)
        other = client.sign_in_page(BYSTANDER, PASSWORD, csrf)  # the same address, another username
        api = client.token(victim, PASSWORD)  # one count for every route: the API refuses the victim too
        answers = served_by(server, [*failures, refused, other, api])
        attempts.append(figures(answers))
        for failure in failures:
            assert failure.status == 200 and WRONG_PASSWORD_PAGE in failure.body, str(failure)
            assert not failure.signed_in, str(failure)
        assert refused.status == 200 and not refused.signed_in, str(refused)
        assert TOO_MANY_FAILURES in refused.body, str(refused)
        assert other.signed_in, str(other)
        assert api.status == 429 and TOO_MANY_FAILURES in api.body, str(api)
        if shown := lockout_shown(failures, refused):
            break

    report({"cache": server.cache, "attempts": attempts})
    assert shown, f"no attempt had its refusal answered by a worker with < {FAILURE_LIMIT} failures: {attempts}"
    assert "Traceback" not in server.log_text()


def test_sign_in_lockout_holds_across_workers_on_the_token_endpoint(server, report):
    """After FAILURE_LIMIT wrong passwords (400), the right one gets 429; another username gets its token."""
    attempts = []
    for victim in API_VICTIMS:
        client = Client(server)
        first = time.monotonic()
        failures = [client.token(victim, f"wrong {i}") for i in range(FAILURE_LIMIT)]
        with client.holding_a_worker():
            refused = client.token(victim, PASSWORD)
        within_the_window(first)
        other = client.token(BYSTANDER, PASSWORD)
        answers = served_by(server, [*failures, refused, other])
        attempts.append(figures(answers))
        for failure in failures:
            assert failure.status == 400 and WRONG_PASSWORD_API in failure.body, str(failure)
        assert refused.status == 429 and TOO_MANY_FAILURES in refused.body, str(refused)
        assert int(refused.headers["Retry-After"]) == FAILURE_WINDOW, refused.headers.items()
        assert other.status == 200 and json.loads(other.body)["token"], str(other)
        if shown := lockout_shown(failures, refused):
            break

    report({"cache": server.cache, "attempts": attempts})
    assert shown, f"no attempt had its refusal answered by a worker with < {FAILURE_LIMIT} failures: {attempts}"
    assert "Traceback" not in server.log_text()


def test_sign_in_lockout_ends_after_its_window(server, report):
    """SIGNIN_FAILURE_WINDOW: failures are forgotten that many seconds after the first one (accounts.signin_guard)."""
    client = Client(server)
    first = time.monotonic()
    failures = [client.token(WINDOW_VICTIM, f"wrong {i}") for i in range(FAILURE_LIMIT)]
    refused = client.token(WINDOW_VICTIM, PASSWORD)
    within_the_window(first)
    time.sleep(max(0.0, first + FAILURE_WINDOW + 1.5 - time.monotonic()))
    again = client.token(WINDOW_VICTIM, PASSWORD)
    after = time.monotonic() - first
    answers = served_by(server, [*failures, refused, again])
    report({"cache": server.cache, **figures(answers), "again_after_s": round(after, 1)})
    assert [f.status for f in failures] == [400] * FAILURE_LIMIT, list(map(str, failures))
    assert refused.status == 429, str(refused)
    assert again.status == 200, f"still locked out {after:.1f} s after the first failure: {again}"
