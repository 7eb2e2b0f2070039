"""A mixed read/write load from Python threads over http.client (no extra dependency).

Each visitor thread is one person (API token and signed-in session) and remembers what the server said it
stored, so that the database can be checked afterwards: no write answered as done may be missing.
"""

import http.client
import json
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg

REQUEST_TIMEOUT = 30  # seconds; gunicorn's own worker timeout is 30 s too
PAUSE_AFTER_FAILURE = 0.1  # a client that got a 503 (or no answer) waits a little before its next request


@dataclass(frozen=True)
class Outcome:
    op: str
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    started: float  # time.monotonic()
    ended: float
    load_id: str
    expected: bool  # the status is one this operation answers when all is well
    detail: str = ""  # why an answer is wrong: a transport error, an unexpected body, a malformed 503
    wrote: str = ""  # the post body or profile text the request sent

    @property
    def failed(self) -> bool:
        return not self.expected

    def __str__(self) -> str:
        return f"{self.op} #{self.load_id}: {self.status} {self.detail[:120]}".strip()


@dataclass
class Call:
    op: str
    method: str
    path: str
    expected: frozenset[int]
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    on_success: Callable[[int, bytes], None] | None = None
    on_unsure: Callable[[], None] | None = None  # failed: the write may or may not have happened
    wrote: str = ""


OK = frozenset({200})


def check_503(path: str, headers: http.client.HTTPMessage, body: bytes) -> str:
    """'' when a 503 has the promised shape (Retry-After; JSON detail under /api/, the page elsewhere)."""
    if not headers.get("Retry-After", "").isdigit():
        return "503 without Retry-After"
    if path.startswith("/api/"):
        try:
            detail = json.loads(body)["detail"]
        except (ValueError, KeyError, TypeError):
            return f"503 without a JSON detail: {body[:200]!r}"
        return "" if detail else "503 with an empty detail"
    text = body.decode(errors="replace")
    if "Temporarily unavailable" not in text or "Traceback" in text:
        return f"503 page is not the templated one: {text[:200]!r}"
    return ""


class Visitor(threading.Thread):
    """One person browsing, reading the API and writing (posts by API and page form, follows, profile)."""

    def __init__(self, number: int, me: dict, people: list[dict], port: int, stop: threading.Event, tag: str):
        super().__init__(name=f"visitor-{number}", daemon=True)
        self.number, self.me, self.port, self.stop_event, self.tag = number, me, port, stop, tag
        self.others = [p for p in people if p["id"] != me["id"]]
        self.rng = random.Random(number)
        self.csrf = "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
        self.outcomes: list[Outcome] = []
        self.sent = 0
        # What the server said it stored, and what a failed request may or may not have stored.
        self.posts: dict[int, str] = {}  # id → body (API, 201)
        self.page_posts: list[str] = []  # bodies (page form, 302)
        self.unsure_bodies: set[str] = set()
        self.follows: dict[int, bool] = {}  # followed id → following after the last answered request
        self.unsure_follows: set[int] = set()
        self.about_me: set[str] | None = None  # the values the profile may hold now (None: not known)
        self.calls = [
            (12, self.api_posts),
            (8, self.api_posts_of_someone),
            (8, self.api_people),
            (8, self.api_person),
            (10, self.api_feed),
            (6, self.page_explore),
            (6, self.page_profile),
            (8, self.page_home),
            (14, self.api_post_create),
            (6, self.page_post_create),
            (6, self.api_follow),
            (4, self.api_unfollow),
            (4, self.api_profile_update),
        ]
        self.weights = [w for w, _ in self.calls]

    # --- the operations ---------------------------------------------------------------------------------

    def _token(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.me['token']}"}

    def _session(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.me['session']}; csrftoken={self.csrf}"}

    def _json(self, data: dict) -> tuple[dict[str, str], bytes]:
        return {**self._token(), "Content-Type": "application/json"}, json.dumps(data).encode()

    def _body(self) -> str:
        return f"load {self.tag} {self.number}-{self.sent}: {self.rng.choice(WORDS)} {self.rng.choice(WORDS)}"

    def api_posts(self):
        return Call("api_posts", "GET", "/api/posts/?page_size=20", OK)

    def api_posts_of_someone(self):
        return Call("api_posts_of", "GET", f"/api/posts/?author={self.rng.choice(self.others)['id']}", OK)

    def api_people(self):
        return Call("api_people", "GET", "/api/users/?page_size=10", OK)

    def api_person(self):
        return Call("api_person", "GET", f"/api/users/{self.rng.choice(self.others)['id']}/", OK)

    def api_feed(self):
        return Call("api_feed", "GET", "/api/feed/", OK, headers=self._token())

    def page_explore(self):
        return Call("page_explore", "GET", "/explore/", OK)

    def page_profile(self):
        return Call("page_profile", "GET", f"/user/{self.rng.choice(self.others)['username']}/", OK)

    def page_home(self):
        return Call("page_home", "GET", "/", OK, headers=self._session())

    def api_post_create(self):
        body = self._body()
        headers, data = self._json({"body": body})

        def stored(status, answer):
            self.posts[json.loads(answer)["id"]] = body

        return Call(
            "api_post", "POST", "/api/posts/", frozenset({201}), headers, data,
            on_success=stored, on_unsure=lambda: self.unsure_bodies.add(body), wrote=body,
        )  # fmt: skip

    def page_post_create(self):
        body = self._body()
        form = urlencode({"csrfmiddlewaretoken": self.csrf, "body": body}).encode()
        headers = {**self._session(), "Content-Type": "application/x-www-form-urlencoded"}
        return Call(
            "page_post", "POST", "/", frozenset({302}), headers, form,
            on_success=lambda status, answer: self.page_posts.append(body),
            on_unsure=lambda: self.unsure_bodies.add(body), wrote=body,
        )  # fmt: skip

    def _follow_call(self, op: str, method: str, expected: frozenset[int], following: bool) -> Call:
        target = self.rng.choice(self.others)["id"]

        def answered(status, answer):
            self.follows[target] = following
            self.unsure_follows.discard(target)

        return Call(
            op, method, f"/api/users/{target}/follow/", expected, self._token(),
            on_success=answered, on_unsure=lambda: self.unsure_follows.add(target),
        )  # fmt: skip

    def api_follow(self):
        return self._follow_call("api_follow", "POST", frozenset({200, 201}), True)

    def api_unfollow(self):
        return self._follow_call("api_unfollow", "DELETE", frozenset({204}), False)

    def api_profile_update(self):
        about = f"about {self.tag} {self.number}-{self.sent}"
        headers, data = self._json({"about_me": about})

        def saved(status, answer):
            self.about_me = {about}

        def unsure():
            if self.about_me is not None:  # before any answered change, the old text may still be there
                self.about_me.add(about)

        return Call(
            "api_profile", "PATCH", f"/api/users/{self.me['id']}/", OK, headers, data,
            on_success=saved, on_unsure=unsure, wrote=about,
        )  # fmt: skip

    # --- the loop -----------------------------------------------------------------------------------------

    def run(self):
        while not self.stop_event.is_set():
            self.sent += 1
            (make,) = self.rng.choices([c for _, c in self.calls], weights=self.weights)
            outcome = self.send(make())
            self.outcomes.append(outcome)
            if outcome.failed:
                time.sleep(PAUSE_AFTER_FAILURE)

    def send(self, call: Call) -> Outcome:
        load_id = f"{self.number}-{self.sent}"
        headers = {"Host": "127.0.0.1", "X-Load-Id": load_id, **call.headers}
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(call.method, call.path, body=call.body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            if call.on_unsure:
                call.on_unsure()
            error = f"{type(exc).__name__}: {exc}"
            return Outcome(call.op, None, started, time.monotonic(), load_id, False, error, call.wrote)
        finally:
            conn.close()
        ended = time.monotonic()
        status = response.status
        if status in call.expected:
            if call.on_success:
                call.on_success(status, answer)
            return Outcome(call.op, status, started, ended, load_id, True, wrote=call.wrote)
        if call.on_unsure:
            call.on_unsure()
        detail = check_503(call.path, response.headers, answer) if status == 503 else repr(answer[:300])
        return Outcome(call.op, status, started, ended, load_id, False, detail, call.wrote)


WORDS = ("clinic", "rounds", "retina", "cornea", "audit", "theatre", "coffee", "glaucoma", "lens", "report", "ward")


class Load:
    """`visitors` threads, one person each, against the server on `port`; stop() joins them (bounded)."""

    def __init__(self, port: int, people: list[dict], *, visitors: int, tag: str):
        if len(people) < visitors + 1:
            raise ValueError(f"{visitors} visitors need at least {visitors + 1} people, not {len(people)}")
        self.stop_event = threading.Event()
        self.visitors = [Visitor(i, people[i], people, port, self.stop_event, tag) for i in range(visitors)]
        self.tag = tag
        self.started = self.stopped = 0.0

    def start(self) -> "Load":
        self.started = time.monotonic()
        for visitor in self.visitors:
            visitor.start()
        return self

    def stop(self, timeout: float = REQUEST_TIMEOUT + 10) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for visitor in self.visitors:
            visitor.join(max(0.0, deadline - time.monotonic()))
        self.stopped = time.monotonic()
        stuck = [v.name for v in self.visitors if v.is_alive()]
        if stuck:
            raise TimeoutError(f"visitors still running {timeout} s after stop: {stuck}")

    def run_for(self, seconds: float) -> None:
        self.start()
        try:
            time.sleep(seconds)
        finally:
            self.stop()

    @property
    def outcomes(self) -> list[Outcome]:
        return sorted((o for v in self.visitors for o in v.outcomes), key=lambda o: o.started)

    def dump(self, path: Path, *, since: float) -> None:
        """Every outcome as a JSON line (times in seconds from `since`), to look into a failure afterwards."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            for o in self.outcomes:
                row = {**asdict(o), "started": round(o.started - since, 3), "ended": round(o.ended - since, 3)}
                out.write(json.dumps(row) + "\n")

    def summary(self) -> dict:
        outcomes = self.outcomes
        seconds = self.stopped - self.started
        ok_latency = sorted(o.ended - o.started for o in outcomes if o.expected)
        return {
            "requests": len(outcomes),
            "seconds": round(seconds, 1),
            "requests_per_second": round(len(outcomes) / seconds, 1) if seconds else None,
            "statuses": dict(sorted(Counter(str(o.status) for o in outcomes).items())),
            "failed": sum(o.failed for o in outcomes),
            "by_operation": dict(sorted(Counter(o.op for o in outcomes).items())),
            "latency_ms": {
                "p50": round(statistics.median(ok_latency) * 1000) if ok_latency else None,
                "p99": round(ok_latency[int(len(ok_latency) * 0.99) - 1] * 1000) if ok_latency else None,
                "max": round(ok_latency[-1] * 1000) if ok_latency else None,
            },
            "writes_acknowledged": {
                "api_posts": sum(len(v.posts) for v in self.visitors),
                "page_posts": sum(len(v.page_posts) for v in self.visitors),
                "follow_pairs": sum(len(v.follows) for v in self.visitors),
            },
        }

    def lost_writes(self, conn: psycopg.Connection, *, allow_unsure: bool) -> list[str]:
        """Every write answered as done must be in the database; writes nobody asked for must not be.

        With allow_unsure, a write whose request failed may be there or not (it may have committed just before
        the connection broke); without it, no request may have failed in the first place.
        """
        problems = []
        acknowledged = {pk: (v.me["id"], body) for v in self.visitors for pk, body in v.posts.items()}
        stored = {
            pk: (author, body)
            for pk, author, body in conn.execute(
                "SELECT id, author_id, body FROM posts_post WHERE body LIKE %s", (f"load {self.tag} %",)
            )
        }
        for pk, row in acknowledged.items():
            if stored.get(pk) != row:
                problems.append(f"post {pk} answered 201 as {row}, in the database: {stored.get(pk)}")
        stored_bodies = Counter((author, body) for author, body in stored.values())
        page_posts = Counter((v.me["id"], body) for v in self.visitors for body in v.page_posts)
        for key, count in page_posts.items():
            if stored_bodies[key] != count:
                problems.append(
                    f"page post {key} answered 302 {count} times, in the database {stored_bodies[key]} times"
                )
        unsure = {body for v in self.visitors for body in v.unsure_bodies}
        if unsure and not allow_unsure:
            problems.append(f"{len(unsure)} post requests failed")
        answered = {body for _, body in acknowledged.values()} | {body for _, body in page_posts} | unsure
        problems += [
            f"post {body!r} is in the database but was never sent"
            for _, body in stored.values()
            if body not in answered
        ]
        for visitor in self.visitors:
            problems += self._lost_follows(conn, visitor)
            problems += self._lost_profile(conn, visitor)
        return problems

    @staticmethod
    def _lost_follows(conn: psycopg.Connection, visitor: Visitor) -> list[str]:
        following = {
            followed
            for (followed,) in conn.execute(
                "SELECT followed_id FROM accounts_follow WHERE follower_id = %s", (visitor.me["id"],)
            )
        }
        return [
            f"{visitor.me['id']} → {target}: answered following={expected}, database says {target in following}"
            for target, expected in visitor.follows.items()
            if target not in visitor.unsure_follows and (target in following) != expected
        ]

    @staticmethod
    def _lost_profile(conn: psycopg.Connection, visitor: Visitor) -> list[str]:
        if not visitor.about_me:
            return []
        (about_me,) = conn.execute("SELECT about_me FROM accounts_user WHERE id = %s", (visitor.me["id"],)).fetchone()
        if about_me in visitor.about_me:
            return []
        return [f"about_me of {visitor.me['id']} is {about_me!r}, answered as {sorted(visitor.about_me)}"]
