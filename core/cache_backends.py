"""The project's cache backends: Django's file-based cache (the embedded default), whose counters also hold
across processes, and Django's Redis cache, whose counters take one round trip.

Every worker process of a node shares the cache folder, so throttles, the sign-in lockout and the cached
reads are the same for all of them (a per-process memory cache would count separately in each). Django's
`FileBasedCache.add()` and `incr()` read and then write: two workers counting at the same moment could
both write the same number, and a request would go uncounted. Here both run under an exclusive lock on
one file of the folder (Django's `django.core.files.locks`, flock on POSIX), so each counts once.

As in Django's, `incr()` stores the new count with the cache's default TIMEOUT: the throttles' counters
carry their window in their key (core.throttling), so the TIMEOUT only has to outlast the longest window
(settings: one day), and the sign-in lockout sets its count's expiry itself (accounts.signin_guard).
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient, RedisSerializer
from django.core.exceptions import ImproperlyConfigured
from django.core.files import locks
from django.utils.module_loading import import_string

LOCK_FILE = "counters.lock"  # not a cache entry (no .djcache suffix): clear() and culling leave it


class FileBasedCache(DjangoFileBasedCache):
    """Django's FileBasedCache with `add()` and `incr()` atomic across the processes that share the folder."""

    def __init__(self, dir, params):
        private_folder(Path(dir).absolute())  # before Django's, which makes the folder if it is missing
        super().__init__(dir, params)
        self.lock_path = os.path.join(os.path.abspath(dir), LOCK_FILE)

    @contextmanager
    def counter_lock(self):
        """An exclusive lock shared by every process that uses this folder."""
        os.makedirs(os.path.dirname(self.lock_path), mode=0o700, exist_ok=True)
        with open(self.lock_path, "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self.counter_lock():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self.counter_lock():
            return super().incr(key, delta, version)


def private_folder(path: Path) -> None:
    """Make `path` (and any missing parent) a folder only this user can open, or refuse one that is not.

    The file cache unpickles what it finds in its folder: a folder that someone else owns or can write to
    (a name taken first in /dev/shm, say) would let them run code in the workers.
    """
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    path = missing[0] if missing else path
    status = path.stat()
    owner = os.geteuid() if hasattr(os, "geteuid") else status.st_uid
    if not path.is_dir() or status.st_uid != owner or status.st_mode & 0o022:
        raise ImproperlyConfigured(
            f"The cache folder {path} must be a folder of this user that no one else can write to "
            "(the file cache loads what it finds there): remove it, or set CACHE_DIR to another folder."
        )


class RedisCache(DjangoRedisCache):
    """Django's RedisCache with `incr()` in one round trip instead of two, and `incr_and_get_many()`.

    Django's asks whether the key exists (EXISTS), then adds to it (INCRBY): two round trips on every API
    request, for its throttle's counter (core.throttling). Here one Lua script does both in the server, as one
    atomic step: the same answer, and the same ValueError for a key that is not there. `incr_and_get_many()`
    counts and reads in one script: a throttled request's count and its kept answer (core.api.KeptAnswers).
    Its client is Django's own (`RedisCacheClient`, public), made from the same LOCATION and OPTIONS; values
    are read with the serializer Django's client uses (OPTIONS "serializer", default `RedisSerializer`).
    """

    INCR_EXISTING = (
        "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"
    )

    def __init__(self, server, params):
        super().__init__(server, params)
        servers = re.split("[;,]", server) if isinstance(server, str) else server
        options = params.get("OPTIONS", {})
        self.counting = RedisCacheClient(servers, **options)
        serializer = options.get("serializer") or RedisSerializer  # the values' format, as Django's client reads it
        serializer = import_string(serializer) if isinstance(serializer, str) else serializer
        self.serializer = serializer() if callable(serializer) else serializer

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = self.counting.get_client(key, write=True).eval(self.INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    # incr() of each of the first ARGV[1] keys (false for one not there, as INCR_EXISTING), then MGET of the rest.
    INCR_AND_GET_MANY = """
    local counted = tonumber(ARGV[1])
    local counts = {}
    for i = 1, counted do
        counts[i] = redis.call('EXISTS', KEYS[i]) == 1 and redis.call('INCRBY', KEYS[i], 1)
    end
    local values = {}
    if #KEYS > counted then values = redis.call('MGET', unpack(KEYS, counted + 1)) end
    return {counts, values}
    """

    def incr_and_get_many(self, counter_keys: list[str], keys: list[str]) -> tuple[list[int | None], dict]:
        """`incr()` of each of `counter_keys` and `get_many(keys)` in one command, one round trip.

        A count is what `incr()` returns, or None for a counter that is not there (where `incr()` raises
        ValueError). core.caching.counted_lookup: a throttled API request's count and the lookup of its answer.
        """
        counters = [self.make_and_validate_key(key) for key in counter_keys]
        names = {self.make_and_validate_key(key): key for key in keys}
        script, all_keys = self.INCR_AND_GET_MANY, [*counters, *names]
        counts, values = self.counting.get_client(write=True).eval(script, len(all_keys), *all_keys, len(counters))
        pairs = zip(names.values(), values, strict=True)
        return counts, {name: self.serializer.loads(value) for name, value in pairs if value is not None}
