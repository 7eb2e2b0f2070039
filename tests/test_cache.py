"""The shared cache: a per-process cache is a deploy warning, the file cache counts atomically across
processes, and versioned reads are computed again after every write that changes them (core.caching)."""

import json
import multiprocessing
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from core import caching
from core.cache_backends import FileBasedCache, FileCounters, RedisCache
from tests.conftest import REDIS_CACHE_URL
from tests.test_settings import PRODUCTION, _manage

INCREMENTS = 150
PROCESSES = 4


def test_a_per_process_cache_without_debug_is_a_deploy_warning():
    result = _manage("check", "--deploy", CACHE_URL="locmemcache://", **PRODUCTION)
    assert "core.W001" in result.stderr
    assert "kept per process" in result.stderr


@pytest.mark.parametrize("cache_url", ["", "redis://127.0.0.1:6379/1"], ids=["file (default)", "redis"])
def test_a_shared_cache_without_debug_passes_the_deploy_checks(cache_url):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", CACHE_URL=cache_url, **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_a_per_process_cache_in_development_is_fine():
    result = _manage("check", CACHE_URL="locmemcache://", DEBUG="True")
    assert "core.W001" not in result.stderr


def _count(backend_class, folder, barrier):
    counter = backend_class(str(folder), {})
    counter.add("hits", 0)
    barrier.wait()
    for _ in range(INCREMENTS):
        counter.incr("hits")


def _count_in_processes(backend_class, folder) -> int:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_count, args=(backend_class, folder, barrier)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    return backend_class(str(folder), {}).get("hits")


def test_the_file_cache_counts_every_increment_of_every_process(tmp_path):
    assert _count_in_processes(FileBasedCache, tmp_path) == PROCESSES * INCREMENTS


def test_djangos_file_cache_alone_loses_increments_between_processes(tmp_path):
    """Why core.cache_backends exists: the stock backend reads, then writes (this run shows it losing counts)."""
    assert _count_in_processes(DjangoFileBasedCache, tmp_path) < PROCESSES * INCREMENTS


def test_the_file_cache_counter_lock_is_not_a_cache_entry(tmp_path):
    folder = tmp_path / "cache"
    files = FileBasedCache(str(folder), {})
    files.add("a", 1)
    files.clear()
    assert (folder / "counters.lock").exists()
    assert files.get("a") is None


# --- core.cache_backends.FileCounters (the embedded default's "counters" cache) --------------------------


def test_the_file_counters_count_every_increment_of_every_process(tmp_path):
    assert _count_in_processes(FileCounters, tmp_path) == PROCESSES * INCREMENTS


@pytest.fixture
def counters(tmp_path):
    return FileCounters(str(tmp_path / "counters"), {"TIMEOUT": 60})


def test_the_file_counters_answer_as_djangos_cache_api_does(counters):
    assert counters.get("hits") is None and counters.get("hits", 0) == 0 and not counters.has_key("hits")
    with pytest.raises(ValueError, match="not found"):
        counters.incr("hits")  # a missing counter is not made, as with every Django cache
    assert counters.add("hits", 1) is True
    assert counters.add("hits", 5) is False  # there already
    assert [counters.incr("hits"), counters.incr("hits", 3), counters.incr("hits", 0)] == [2, 5, 5]
    counters.set("hits", 7)
    assert counters.get("hits") == 7 and counters.has_key("hits")
    assert counters.delete("hits") is True and counters.delete("hits") is False
    counters.set_many({"a": 1, "b": 2})
    assert counters.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    counters.clear()
    assert counters.get_many(["a", "b"]) == {}


def test_a_file_counter_counts_in_place_and_keeps_its_expiry(counters, tmp_path):
    """incr() appends to the counter's own file (no new file renamed over it) and leaves its expiry as add() set it
    (Django's file cache gives the new count its default timeout)."""
    counters.add("hits", 1, timeout=2)
    (path,) = (tmp_path / "counters").glob("*.count")
    inode = path.stat().st_ino
    for _ in range(3):
        counters.incr("hits")
    assert path.stat().st_ino == inode
    assert counters.get("hits") == 4
    time.sleep(2.1)
    assert counters.get("hits") is None
    with pytest.raises(ValueError, match="not found"):
        counters.incr("hits")  # an expired counter is not counted in
    assert counters.add("hits", 1) is True  # …and it can be made again
    assert counters.touch("hits", timeout=0) is True
    assert counters.get("hits") is None


@pytest.mark.parametrize("value", [-1, 1.5, "1", True, None, FileCounters.MAX_COUNT + 1])
def test_file_counters_keep_counts_only(counters, value):
    with pytest.raises(TypeError, match="keeps counts"):
        counters.set("x", value)
    assert counters.get("x") is None


def test_file_counters_only_count_up(counters):
    counters.add("hits", 3)
    with pytest.raises(NotImplementedError):
        counters.decr("hits")
    assert counters.get("hits") == 3


def test_making_a_counter_in_a_full_folder_removes_the_expired_ones_first(tmp_path):
    counters = FileCounters(str(tmp_path / "counters"), {"OPTIONS": {"MAX_ENTRIES": 4}})
    counters.add("old-1", 1, timeout=1)
    counters.add("old-2", 1, timeout=1)
    counters.add("live-1", 1, timeout=60)
    counters.add("live-2", 1, timeout=60)
    time.sleep(1.1)
    counters.add("new", 1)
    assert counters.get_many(["old-1", "old-2", "live-1", "live-2", "new"]) == {"live-1": 1, "live-2": 1, "new": 1}
    assert len(list((tmp_path / "counters").glob("*.count"))) == 3


def test_the_file_counters_lock_is_not_a_counter(counters, tmp_path):
    counters.add("a", 1)
    counters.clear()
    assert (tmp_path / "counters" / "counters.lock").exists()
    assert counters.get("a") is None


# --- core.caching ------------------------------------------------------------------------------------


@pytest.fixture(params=["two stores", "one store"])
def stores(request, settings, tmp_path):
    """The file cache's two folders (versions apart from values), or one store for both, as a CACHE_URL gives
    (the versions and a value are then read in one round trip)."""
    if request.param == "one store":
        shared = {**settings.CACHES["default"], "LOCATION": str(tmp_path)}
        settings.CACHES = {"default": shared, "state": shared, "counters": shared}
    return request.param


def test_a_read_is_computed_once_until_its_scope_changes(stores):
    calls = []

    def read():
        calls.append(1)
        return len(calls)

    assert caching.cached("answer", read, scopes=["posts"]) == 1
    assert caching.cached("answer", read, scopes=["posts"]) == 1
    caching.invalidate("people")  # another scope: still cached
    assert caching.cached("answer", read, scopes=["posts"]) == 1
    caching.invalidate("posts")
    assert caching.cached("answer", read, scopes=["posts"]) == 2
    caching.invalidate_all()
    assert caching.cached("answer", read, scopes=["posts"]) == 3


def test_a_value_kept_under_other_versions_is_never_served(stores):
    """A reader that took the versions before a write may keep what it read after other readers kept newer
    values: the next reader finds versions that are not the current ones, and reads again."""
    before = caching.versions("posts")
    caching.invalidate("posts")
    caching.keep("answer", before, "read before the write")
    assert caching.lookup("answer", ["posts"]) == (caching.versions("posts"), None)
    assert caching.cached("answer", lambda: "read after it", scopes=["posts"]) == "read after it"
    assert caching.lookup("answer", ["posts"])[1] == "read after it"


def test_a_lost_version_is_never_an_old_one():
    before = caching.versions("posts")
    caches["state"].delete("scope:posts")  # culled, or the cache was cleared
    after = caching.versions("posts")
    assert after != before
    assert caching.versions("posts") == after


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_versions_change_at_once_and_again_at_the_commit():
    """A reader may take the first new version and read the rows before the commit: the commit's version
    leaves what it kept behind."""
    start = caching.versions("posts")
    with transaction.atomic():
        caching.invalidate("posts")
        during = caching.versions("posts")
        assert during != start
    assert caching.versions("posts") not in {start, during}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_loses_no_later_invalidation():
    with pytest.raises(RuntimeError), transaction.atomic():
        caching.invalidate("posts")
        raise RuntimeError
    before = caching.versions("people")
    with transaction.atomic():
        caching.invalidate("people")
        during = caching.versions("people")
    assert caching.versions("people") not in {before, during}


# --- What a cache hit costs --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "signed_in", "queries"),
    [
        ("/api/posts/?page_size=50", False, 0),
        ("/api/users/?page_size=10", False, 0),
        ("/api/users/{author}/", False, 0),
        ("/api/feed/", True, 0),  # the token and its person are in the cache
        ("/explore/", True, 0),  # the session and its person are in the cache
        ("/", True, 0),  # the page is kept (core.pages.cached_page)
        ("/user/{username}/", True, 0),  # kept once the name's id is known (from the second read on)
    ],
)
def test_a_cached_read_needs_only_authentication(
    path, signed_in, queries, client, client_for, django_assert_num_queries
):
    from tests.factories import FollowFactory, PostFactory, UserFactory
    from tests.pages.helpers import sign_in

    viewer, author = UserFactory(), UserFactory()
    FollowFactory(follower=viewer, followed=author)
    PostFactory.create_batch(3, author=author)
    path = path.format(author=author.pk, username=author.username)
    browser = (client_for(viewer) if path.startswith("/api/") else sign_in(client, viewer)) if signed_in else client
    for _ in range(2):  # fill the cache (a profile is kept from its second read on: accounts.selectors)
        assert browser.get(path).status_code == 200
    with django_assert_num_queries(queries):
        assert browser.get(path).status_code == 200


@pytest.mark.django_db
def test_migrate_drops_every_cached_read_and_keeps_the_sessions():
    """Every deploy runs `manage.py migrate`: a new release never serves what the previous one kept."""
    calls = []
    assert caching.cached("answer", lambda: calls.append(1) or len(calls), scopes=["posts"]) == 1
    caches["default"].set("session-like", "stays")
    call_command("migrate", verbosity=0)
    assert caching.cached("answer", lambda: calls.append(1) or len(calls), scopes=["posts"]) == 2
    assert caches["default"].get("session-like") == "stays"


@pytest.mark.django_db
def test_migrate_goes_on_when_the_cache_cannot_be_reached(settings, caplog):
    unreachable = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    with override_settings(CACHES={**settings.CACHES, "state": unreachable}):
        call_command("migrate", verbosity=0)
    assert "the cached reads could not be dropped" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/posts/?page_size=2", "/api/users/{author}/"], ids=["list", "detail"])
def test_a_cached_answer_is_the_json_drf_renders_for_each_media_type(path, client, django_assert_num_queries):
    """core.api.cached_answer keeps the rendered JSON, per media type: `indent` is honoured, hit or miss, and
    the browsable API (HTML) is rendered by DRF with the same data, never from the JSON entries."""
    from tests.factories import PostFactory, UserFactory

    author = UserFactory()
    PostFactory.create_batch(3, author=author)
    path = path.format(author=author.pk)
    plain = client.get(path, HTTP_ACCEPT="application/json")
    indented = client.get(path, HTTP_ACCEPT="application/json; indent=2")
    with django_assert_num_queries(0):
        assert client.get(path, HTTP_ACCEPT="application/json").content == plain.content
        again = client.get(path, HTTP_ACCEPT="application/json; indent=2")
    assert again.content == indented.content != plain.content
    assert indented.content.decode().startswith('{\n  "')
    assert json.loads(indented.content) == json.loads(plain.content)
    assert plain["Content-Type"] == "application/json"
    assert plain["Vary"] == again["Vary"] and "Accept" in plain["Vary"]
    html = client.get(path, HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    assert str(json.loads(plain.content).get("count", author.username)) in html.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("", True),
        ("?page=2&page_size=2", True),
        ("?page_size=2&page=2", True),
        ("?page=02&page_size=2", False),
        ("?page_size=abc", False),
        ("?page_size=500", False),
        ("?page_size=2&page_size=3", False),
        ("?page=last", False),
    ],
)
def test_only_paging_written_as_the_api_writes_it_is_kept(query, kept, client):
    """Any spelling is answered; only the API's own (bounded: one entry per page and size) is kept."""
    from tests.factories import PostFactory

    PostFactory.create_batch(5)
    first = client.get(f"/api/posts/{query}")
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get(f"/api/posts/{query}").content == first.content
    assert (len(again) == 0) == kept


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["page", "page_size"])
def test_a_paging_number_of_thousands_of_digits_is_answered_not_a_500(param, client):
    """Python refuses int() of more than 4,300 digits: the key's check must not be the one to try."""
    response = client.get(f"/api/posts/?{param}={'9' * 5000}")
    assert response.status_code == (404 if param == "page" else 200)


# --- core.cache_backends.RedisCache ---------------------------------------------------------------------


@pytest.fixture
def redis_cache(redis_at):
    """The project's RedisCache on a database of its own (emptied), and a client of that database."""
    server = redis_at(REDIS_CACHE_URL)
    return RedisCache(REDIS_CACHE_URL, {}), server


def _calls(server, command: str) -> int:
    return server.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_the_redis_cache_counts_as_djangos_does_in_one_command(redis_cache):
    cache, server = redis_cache
    with pytest.raises(ValueError, match="not found"):
        cache.incr("hits")  # as Django's: a missing key is not created
    assert cache.get("hits") is None
    cache.add("hits", 1)
    before = {command: _calls(server, command) for command in ("exists", "incrby", "eval")}
    assert [cache.incr("hits"), cache.incr("hits", 5), cache.decr("hits", 2)] == [2, 7, 5]
    assert cache.get("hits") == 5
    after = {command: _calls(server, command) for command in before}
    # Each count is one EVAL, whose script runs EXISTS and INCRBY in the server (Django's backend sends those
    # two itself, two round trips, and no EVAL).
    assert {command: after[command] - before[command] for command in after} == {"eval": 3, "exists": 3, "incrby": 3}


def test_the_redis_cache_counts_and_reads_in_one_command(redis_cache):
    """incr_and_get_many(): incr() of each counter (None where incr() would raise), then get_many(), one EVAL."""
    cache, server = redis_cache
    cache.add("a", 1)
    cache.add("b", 10)
    cache.set_many({"kept": {"answer": [1, 2]}, "version": "v1", "number": 7})
    before = _calls(server, "eval")
    counts, found = cache.incr_and_get_many(["a", "missing", "b"], ["kept", "gone", "version", "number"])
    assert counts == [2, None, 11]
    assert found == {"kept": {"answer": [1, 2]}, "version": "v1", "number": 7}  # as get_many() reads them
    assert found == cache.get_many(["kept", "gone", "version", "number"])
    assert _calls(server, "eval") - before == 1
    assert cache.get("missing") is None  # not made, as incr() does not make it
    assert cache.incr_and_get_many([], ["kept"]) == ([], {"kept": {"answer": [1, 2]}})
    assert cache.incr_and_get_many(["a"], []) == ([3], {})


def test_the_redis_cache_counts_every_increment_of_every_process(redis_cache):
    cache, _ = redis_cache
    cache.add("hits", 0, timeout=None)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_count_redis, args=(barrier,)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert cache.get("hits") == PROCESSES * INCREMENTS


def _count_redis(barrier):
    counter = RedisCache(REDIS_CACHE_URL, {})
    barrier.wait()
    for _ in range(INCREMENTS):
        counter.incr("hits")
