"""The load driver of the mixed run: reads of one endpoint, 1 request in 20 a write, every write checked.

A fixed number of client connections (threads, `--connections`, as wrk's -c), each sending one request
after another over a new TCP connection (gunicorn's sync workers close each connection after its answer,
so wrk reconnects each time too). Requests are numbered as they start, across the connections; every 20th
makes a write due, taken by the next connection that asks for work while no other write or check is under
way. The writes rotate, all with the viewer's API token, among the people the reads look at:

- a post:             POST /api/posts/ {"body": "bench mixed post <tag> <n>"};
- a follow or unfollow of the profile person: POST or DELETE /api/users/<profile id>/follow/ (whichever
  changes the state the database has at that moment, so every follow write changes a count);
- a profile edit:     PATCH /api/users/<viewer id>/ {"about_me": "bench mixed about <tag> <n>"}.

Once a write's answer has arrived, the next request started by *another* connection is the check read of
what it changed, and it must show the change (else it counts as a stale read):

| write  | API endpoints                                             | page endpoints                         |
|--------|-----------------------------------------------------------|----------------------------------------|
| post   | GET /api/posts/?page_size=50 (GET /api/feed/ with the     | GET / (feed page, the feed run) or     |
|        | token in the feed run): the new post's id comes first     | GET /user/<viewer>/: the post's text   |
| follow | GET /api/users/<profile id>/: follower_count = the count  | GET /user/<profile>/: the follower     |
|        | the database has after the write                          | count shown (class="follower-count")   |
| about  | GET /api/users/<viewer id>/ (anonymous): the new about_me | GET /user/<viewer>/: the new about_me  |

The expected follower count is read from the database by the driver after the write (its own connection),
so it is the truth whoever wrote before. Checks are reads and count among the 19 reads of each 20.

Each run returns wrk's summary format (requests, duration, bytes, errors, latency distribution), so that the
harness summarizes both kinds of runs alike, plus a "mixed" part: writes, checks, stale reads (with the
first few examples), write errors and write latency.
"""

import json
import re
import socket
import threading
import time

import psycopg
from endpoints import session_headers

GRID = [*range(1, 99), 98.5, 99, 99.25, 99.5, 99.75, 99.9, 100]  # the percentiles wrk_report.lua reports
WRITE_EVERY = 20
WRITE_KINDS = ("post", "follow", "about")


class HTTPFailure(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # connect | read | write | timeout (wrk's error classes)


def http(port: int, method: str, path: str, headers: dict, body=None, phase: str | None = None, timeout=10.0):
    """One request over a new connection: (status, body bytes, bytes received). Raises HTTPFailure."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if phase:
        lines.append(f"X-Bench-Phase: {phase}")
    lines += [f"{key}: {value}" for key, value in headers.items()]
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except TimeoutError as exc:
        raise HTTPFailure("timeout", str(exc)) from exc
    except OSError as exc:
        raise HTTPFailure("connect", str(exc)) from exc
    chunks = []
    try:
        try:
            sock.sendall(request)
        except OSError as exc:
            raise HTTPFailure("write", str(exc)) from exc
        while True:
            data = sock.recv(262144)
            if not data:
                break
            chunks.append(data)
    except TimeoutError as exc:
        raise HTTPFailure("timeout", str(exc)) from exc
    except OSError as exc:
        raise HTTPFailure("read", str(exc)) from exc
    finally:
        sock.close()
    response = b"".join(chunks)
    head, _, content = response.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise HTTPFailure("read", f"no HTTP answer: {response[:80]!r}") from None
    if b"\r\ntransfer-encoding: chunked" in head.lower():
        content = _dechunk(content)
    return status, content, len(response)


def _dechunk(data: bytes) -> bytes:
    out, pos = [], 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return 0.0
    rank = max(1, min(len(values), int(-(-p * len(values) // 100))))
    return values[rank - 1]


# --- what a check read must show ---------------------------------------------------------------------------


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None


def first_post_is(post_id: int):
    def judge(body: bytes):
        data = _json(body)
        first = (data or {}).get("results") or [{}]
        return first[0].get("id") == post_id, f"first post {first[0].get('id')}, expected {post_id}"

    return judge


def field_is(name: str, expected):
    def judge(body: bytes):
        value = (_json(body) or {}).get(name)
        return value == expected, f"{name} {value!r:.60}, expected {expected!r:.60}"

    return judge


def html_has(text: str):
    def judge(body: bytes):
        return text.encode() in body, f"{text!r} not in the page"

    return judge


FOLLOWER_COUNT = re.compile(rb'class="follower-count">(\d+)<')


def html_follower_count(expected: int):
    def judge(body: bytes):
        match = FOLLOWER_COUNT.search(body)
        value = int(match.group(1)) if match else None
        return value == expected, f"follower count {value}, expected {expected}"

    return judge


# --- the run ------------------------------------------------------------------------------------------------


class MixedLoad:
    """The mixed workload against one server; `run()` once per slice (the rotation of writes goes on)."""

    def __init__(self, port: int, endpoint: dict, path: str, headers: dict, people: dict, db_url: str, tag: str):
        self.port, self.endpoint, self.path, self.headers, self.people = port, endpoint, path, headers, people
        self.tag = tag
        self.token = {"Authorization": f"Token {people['token']}"}
        self.session = session_headers(people)
        self.db = psycopg.connect(db_url, autocommit=True, application_name="bench-driver")
        self.db_lock = threading.Lock()
        self.writes_made = 0

    def close(self):
        self.db.close()

    # The writes, in rotation, and the check read each one gets.

    def _next_write(self):
        kind = WRITE_KINDS[self.writes_made % len(WRITE_KINDS)]
        self.writes_made += 1
        n, p = self.writes_made, self.people
        if kind == "post":
            return kind, "POST", "/api/posts/", {"body": f"bench mixed post {self.tag} {n}"}
        if kind == "follow":
            method = "DELETE" if self._follows() else "POST"
            return kind, method, f"/api/users/{p['detail_user_id']}/follow/", None
        return kind, "PATCH", f"/api/users/{p['viewer_id']}/", {"about_me": f"bench mixed about {self.tag} {n}"}

    def _follows(self) -> bool:
        with self.db_lock:
            return self.db.execute(
                "SELECT EXISTS(SELECT 1 FROM accounts_follow WHERE follower_id = %s AND followed_id = %s)",
                (self.people["viewer_id"], self.people["detail_user_id"]),
            ).fetchone()[0]

    def _follower_count(self) -> int:
        with self.db_lock:
            return self.db.execute(
                "SELECT count(*) FROM accounts_follow WHERE followed_id = %s", (self.people["detail_user_id"],)
            ).fetchone()[0]

    def _check_for(self, kind: str, method: str, body, status: int, answer: bytes):
        """(path, headers, judge) of the read that must show this write, or None if the write failed."""
        p, name = self.people, self.endpoint["name"]
        page = self.endpoint["kind"] == "page"
        expected_status = {"post": 201, "follow": 204 if method == "DELETE" else 201, "about": 200}[kind]
        if status != expected_status:
            return None
        if kind == "post":
            if name == "page_feed":
                return "/", self.session, html_has(body["body"])
            if page:
                return f"/user/{p['viewer_username']}/", self.session, html_has(body["body"])
            post_id = (_json(answer) or {}).get("id")
            if name == "api_feed":
                return "/api/feed/", self.token, first_post_is(post_id)
            return "/api/posts/?page_size=50", {}, first_post_is(post_id)
        if kind == "follow":
            expected = self._follower_count()
            if page:
                return f"/user/{p['profile_username']}/", self.session, html_follower_count(expected)
            return f"/api/users/{p['detail_user_id']}/", {}, field_is("follower_count", expected)
        if page:
            return f"/user/{p['viewer_username']}/", self.session, html_has(body["about_me"])
        return f"/api/users/{p['viewer_id']}/", {}, field_is("about_me", body["about_me"])

    def run(self, seconds: float, connections: int, phase: str = "mixed") -> dict:
        lock = threading.Lock()
        state = {"n": 0, "due": 0, "writing": False, "pending": None}
        out = {
            "latencies": [],
            "write_latencies": [],
            "bytes": 0,
            "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
            "reads": 0,
            "writes": 0,
            "write_errors": 0,
            "writes_by_kind": dict.fromkeys(WRITE_KINDS, 0),
            "checks": 0,
            "check_errors": 0,
            "stale": 0,
            "stale_examples": [],
            "check_latencies": [],
            "read_latencies": [],  # the reads' (the endpoint's and the checks'), apart from the writes'
        }

        def take(tid: int):
            with lock:
                state["n"] += 1
                if state["n"] % WRITE_EVERY == 0:
                    state["due"] += 1
                pending = state["pending"]
                if pending is not None and pending[0] != tid:
                    state["pending"] = None
                    return "check", pending
                if state["due"] and not state["writing"] and pending is None:
                    state["due"] -= 1
                    state["writing"] = True
                    return "write", None
                return "read", None

        def request(method, path, headers, body=None):
            started = time.perf_counter()
            try:
                status, content, size = http(self.port, method, path, headers, body, phase)
            except HTTPFailure as exc:
                with lock:
                    out["errors"][exc.kind] += 1
                return None, None, time.perf_counter() - started
            elapsed = time.perf_counter() - started
            with lock:
                out["latencies"].append(elapsed * 1e6)
                out["bytes"] += size
                if status > 399:
                    out["errors"]["status"] += 1
            return status, content, elapsed

        def connection(tid: int, deadline: float):
            while time.perf_counter() < deadline:
                action, pending = take(tid)
                if action == "read":
                    status, _, elapsed = request("GET", self.path, self.headers)
                    with lock:
                        out["reads"] += 1
                        if status is not None:  # answered (as the latencies above)
                            out["read_latencies"].append(elapsed * 1e6)
                elif action == "write":
                    check = None
                    try:
                        kind, method, path, body = self._next_write()
                        status, answer, elapsed = request(method, path, self.token, body)
                        check = self._check_for(kind, method, body, status, answer) if status else None
                        with lock:
                            out["writes"] += 1
                            out["writes_by_kind"][kind] += 1
                            out["write_latencies"].append(elapsed * 1e6)
                            if check is None:
                                out["write_errors"] += 1
                    finally:
                        with lock:
                            state["writing"] = False
                            if check is not None:
                                state["pending"] = (tid, check)
                else:
                    path, headers, judge = pending[1]
                    status, content, elapsed = request("GET", path, headers)
                    with lock:
                        out["reads"] += 1
                        if status is not None:
                            out["read_latencies"].append(elapsed * 1e6)
                        out["checks"] += 1
                        out["check_latencies"].append(elapsed * 1e6)
                        if status != 200:
                            out["check_errors"] += 1
                        else:
                            fresh, detail = judge(content)
                            if not fresh:
                                out["stale"] += 1
                                if len(out["stale_examples"]) < 5:
                                    out["stale_examples"].append(f"GET {path}: {detail}")

        started = time.perf_counter()
        deadline = started + seconds
        threads = [threading.Thread(target=connection, args=(i, deadline), daemon=True) for i in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 30)
        duration = time.perf_counter() - started
        latencies = sorted(out["latencies"])
        writes = sorted(out["write_latencies"])
        checks = sorted(out["check_latencies"])
        reads = sorted(out["read_latencies"])
        n = len(latencies)
        mean = sum(latencies) / n if n else 0.0
        stdev = (sum((x - mean) ** 2 for x in latencies) / n) ** 0.5 if n else 0.0
        return {
            "requests": n,
            "duration_us": int(duration * 1e6),
            "bytes": out["bytes"],
            "errors": out["errors"],
            "latency_us": {
                "min": latencies[0] if n else 0,
                "mean": round(mean, 1),
                "stdev": round(stdev, 1),
                "p50": percentile(latencies, 50),
                "p90": percentile(latencies, 90),
                "p99": percentile(latencies, 99),
                "max": latencies[-1] if n else 0,
            },
            "q": [[p, percentile(latencies, p)] for p in GRID],
            "mixed": {
                "reads": out["reads"],
                "writes": out["writes"],
                "writes_by_kind": out["writes_by_kind"],
                "write_errors": out["write_errors"],
                "checks": out["checks"],
                "check_errors": out["check_errors"],
                "unchecked": 1 if state["pending"] is not None else 0,
                "stale": out["stale"],
                "stale_examples": out["stale_examples"],
                "write_p50_us": percentile(writes, 50),
                "write_p99_us": percentile(writes, 99),
                "check_p50_us": percentile(checks, 50),
                # The reads' distribution alone (the misses the writes cause included), as "q" is all requests'.
                "read_min_us": reads[0] if reads else 0,
                "read_q": [[p, percentile(reads, p)] for p in GRID],
            },
        }


# --- the writes' answers, Django's against the floor's --------------------------------------------------------


def compare_write_answers(ports: dict, people: dict, db_url: str, normalize) -> dict:
    """Each write on Django, then at once the same on the floor, in the same database state; answers compared.

    The profile edit (the same about_me) and the follow (POST after a DELETE, so that both create the row)
    must give the same bytes; the post's answer the same bytes once its id and timestamp are set aside.
    `normalize(app, text)` names both hosts the same. Django is asked something with the token first: its
    LastSeenMiddleware writes the viewer's last_seen (shown in the profile edit's answer) at most once a
    minute, after an answer, and that write is then done before the compared ones. The caller puts the
    database back (the two posts stay, the follow is re-created).
    """
    token = {"Authorization": f"Token {people['token']}"}
    follow = f"/api/users/{people['detail_user_id']}/follow/"
    about = f"/api/users/{people['viewer_id']}/"
    http(ports["django"], "GET", "/api/feed/", token, None, "check")
    answers = {app: {} for app in ports}
    for app in ("django", "floor"):
        _, answers[app]["about"], _ = http(
            ports[app], "PATCH", about, token, {"about_me": "bench write check"}, "check"
        )
    for app in ("django", "floor"):
        http(ports[app], "DELETE", follow, token, None, "check")
        answers[app]["follow_status"], answers[app]["follow"], _ = http(
            ports[app], "POST", follow, token, None, "check"
        )
    for app in ("django", "floor"):
        _, answers[app]["post"], _ = http(
            ports[app], "POST", "/api/posts/", token, {"body": "bench write check"}, "check"
        )
    out = {}
    for what in ("post", "follow", "about"):
        texts = {app: normalize(app, answers[app][what].decode("utf-8", "replace")) for app in answers}
        if what == "post":
            texts = {
                app: re.sub(r'^\{"id":\d+,(.*)"timestamp":"[^"]+",', r'{"id":ID,\1"timestamp":"T",', text)
                for app, text in texts.items()
            }
        out[what] = {"equal": texts["floor"] == texts["django"]}
        if not out[what]["equal"]:
            a, b = texts["django"], texts["floor"]
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            out[what]["django"] = a[max(0, at - 80) : at + 120]
            out[what]["floor"] = b[max(0, at - 80) : at + 120]
    out["follow"]["statuses"] = [answers["django"]["follow_status"], answers["floor"]["follow_status"]]
    return out
