"""core.throttling: DRF's throttle rates, counted in fixed windows (one cache counter per client and window)."""

import pytest

from core import throttling

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by the test: clock[0] is the time in seconds."""
    now = [1_000_040.0]  # 20 s into a minute window (1,000,020 is a multiple of 60)
    monkeypatch.setattr(throttling.FixedWindowThrottle, "timer", lambda self: now[0])
    monkeypatch.setattr(
        "rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", {"anon": "3/minute", "token": "2/minute"}
    )
    return now


@pytest.fixture(params=["file", "redis"])
def shared_cache(request):
    """The embedded file cache (the default), or one Redis for all three caches (CACHE_URL=redis://…): there a
    kept answer's request is counted in the round trip that looks the answer up (core.api.KeptAnswers)."""
    if request.param == "redis":
        request.getfixturevalue("redis_caches")
    return request.param


# A kept list, a list read afresh (a search), a kept detail: every way an anonymous read is answered.
PATHS = ["/api/users/", "/api/users/?search=a", "/api/users/{pk}/"]


@pytest.fixture(params=PATHS, ids=["kept list", "searched list", "kept detail"])
def path(request, user):
    return request.param.format(pk=user.pk)


def statuses(api_client, n: int, path: str = "/api/users/") -> list[int]:
    return [api_client.get(path).status_code for _ in range(n)]


def test_the_limit_holds_within_a_window_and_says_how_long_to_wait(api_client, clock, shared_cache, path):
    assert statuses(api_client, 3, path) == [200, 200, 200]
    clock[0] += 15
    response = api_client.get(path)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled.")
    assert response["Retry-After"] == "25"  # 60 - (20 + 15) seconds left in the window


def test_the_next_window_counts_afresh(api_client, clock, shared_cache, path):
    assert statuses(api_client, 4, path) == [200, 200, 200, 429]
    clock[0] += 40  # the next minute
    assert statuses(api_client, 4, path) == [200, 200, 200, 429]


def test_each_client_address_has_its_own_count(api_client, clock, shared_cache, path):
    assert statuses(api_client, 4, path)[-1] == 429
    other = api_client.get(path, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_kept_and_fresh_answers_count_in_the_same_window(api_client, clock, shared_cache, user):
    """A client's requests are one count whichever way they are answered."""
    answered = [api_client.get(path.format(pk=user.pk)).status_code for path in PATHS]
    assert answered == [200, 200, 200]
    assert [api_client.get(path.format(pk=user.pk)).status_code for path in PATHS] == [429, 429, 429]


def test_a_kept_answer_is_counted_and_looked_up_in_one_round_trip(api_client, clock, redis_caches, user, monkeypatch):
    """With Redis, a hit is one round trip (one script counts and looks up), not one for each."""
    from redis.connection import AbstractConnection

    sent = []
    send = AbstractConnection.send_packed_command

    def counted(connection, command, check_health=True):
        sent.append(command)
        return send(connection, command, check_health)

    path = f"/api/users/{user.pk}/"
    first = api_client.get(path)
    assert first.status_code == 200
    before = redis_caches.info("commandstats")
    with monkeypatch.context() as patched:
        patched.setattr(AbstractConnection, "send_packed_command", counted)
        again = api_client.get(path)
    assert again.content == first.content
    assert len(sent) == 1
    after = redis_caches.info("commandstats")
    calls = {name: after[name]["calls"] - before.get(name, {}).get("calls", 0) for name in after}
    assert {name: n for name, n in calls.items() if n and name != "cmdstat_info"} == {
        "cmdstat_eval": 1,  # one script: the count (EXISTS, INCRBY) and the versions and kept answer (MGET)
        "cmdstat_exists": 1,
        "cmdstat_incrby": 1,
        "cmdstat_mget": 1,
    }
    assert api_client.get(path).status_code == 200
    assert api_client.get(path).status_code == 429  # counted all along: the fourth in the window


def test_the_scoped_token_throttle_counts_in_windows_too(api_client, clock, user):
    credentials = {"username": user.username, "password": "wrong"}
    assert [api_client.post("/api/auth/token/", credentials).status_code for _ in range(3)] == [400, 400, 429]
    clock[0] += 60
    assert api_client.post("/api/auth/token/", credentials).status_code == 400


def test_a_counter_that_expired_between_add_and_incr_starts_again(clock, monkeypatch, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import caches

    cache = caches["counters"]

    request = rf.get("/")
    request.user = AnonymousUser()
    first = throttling.AnonRateThrottle()
    assert first.allow_request(request, None)
    key = f"{first.key}:{int(clock[0] // 60)}"
    assert cache.get(key) == 1

    def expired(key, delta=1, version=None):
        cache.delete(key)
        raise ValueError(f"Key '{key}' not found")

    monkeypatch.setattr(caches["counters"], "incr", expired)
    assert throttling.AnonRateThrottle().allow_request(request, None)
    assert cache.get(key) == 1  # counted again from one


def test_opening_a_window_removes_the_last_windows_counter(clock, rf):
    """The file cache lists its folder on every write and removes expired entries only when read or culled:
    past windows' counters would pile up there and make every request slower."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import caches

    cache = caches["counters"]
    request = rf.get("/")
    request.user = AnonymousUser()
    throttle = throttling.AnonRateThrottle()
    keys = []
    for _ in range(3):
        for _ in range(2):
            assert throttle.allow_request(request, None)
        keys.append(f"{throttle.key}:{int(clock[0] // 60)}")
        clock[0] += 60
    assert [cache.get(key) for key in keys] == [None, None, 2]
