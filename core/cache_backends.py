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

import hashlib
import os
import re
import struct
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
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
        with exclusive_lock(self.lock_path):
            yield

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self.counter_lock():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self.counter_lock():
            return super().incr(key, delta, version)


class FileCounters(BaseCache):
    """The embedded default's "counters" cache (throttles, sign-in lockout): counts, exact across the processes
    that share the folder, each `incr()` one append to one file, with no lock and no rename.

    Django's file cache writes a new file and renames it over the old one, after listing the folder to decide
    whether to cull it, on every `incr()`: 160 µs here (FileBasedCache, locked), a fifth of an API cache hit,
    which every throttled request pays. Here a counter is a file of an 8-byte header (its expiry time) and
    one byte per unit counted. `incr()` appends its bytes with O_APPEND, which the kernel makes atomic between
    processes, and the file's offset just after that write is the new count: exact with any number of
    workers (4 µs here). `add()`, `set()`, `touch()` and `delete()` (a window's first request, a lockout's
    start) take the folder's exclusive lock, as FileBasedCache's counters do.

    Values are counts: whole numbers from 0 to MAX_COUNT (anything else is a TypeError), and they only go up
    (`decr()` is refused). A counter written over (`set()`) or made again after it expired, while another
    process was counting in it, may lose that one count: the throttles' counters are never made again (each
    window has its own key), the sign-in lockout's only once its window has passed.
    """

    SUFFIX = ".count"
    HEADER = struct.Struct("<d")  # the expiry, as time.time(); infinity for none
    MAX_COUNT = 1_000_000  # a count is that many bytes

    def __init__(self, dir, params):
        super().__init__(params)
        self.folder = os.path.abspath(dir)
        private_folder(Path(self.folder))
        self.lock_path = os.path.join(self.folder, LOCK_FILE)
        self.max_entries = int(params.get("OPTIONS", {}).get("MAX_ENTRIES", 300))

    def get(self, key, default=None, version=None):
        count = self._count_at(self._path(key, version))
        return default if count is None else count

    def incr(self, key, delta=1, version=None):
        if type(delta) is not int or delta < 0:
            raise NotImplementedError("FileCounters only count up.")
        try:
            fd = os.open(self._path(key, version), os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            raise ValueError(f"Key '{key}' not found.") from None
        try:
            count = self._count(fd)
            if count is None:
                raise ValueError(f"Key '{key}' not found.")
            if not delta:  # nothing written: the offset would not be at the end
                return count
            os.write(fd, bytes(delta))
            return os.lseek(fd, 0, os.SEEK_CUR) - self.HEADER.size
        finally:
            os.close(fd)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        path, content = self._path(key, version), self._content(value, timeout)
        with self._lock():
            if self._count_at(path) is not None:
                return False
            self._cull()
            self._write(path, content)
            return True

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        path, content = self._path(key, version), self._content(value, timeout)
        with self._lock():
            self._cull()
            self._write(path, content)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        with self._lock():
            try:
                fd = os.open(self._path(key, version), os.O_RDWR)  # no O_APPEND: Linux's pwrite() would append
            except FileNotFoundError:
                return False
            try:
                if self._count(fd) is None:
                    return False
                os.pwrite(fd, self._header(timeout), 0)
                return True
            finally:
                os.close(fd)

    def delete(self, key, version=None):
        with self._lock():
            try:
                os.remove(self._path(key, version))
            except FileNotFoundError:
                return False
            return True

    def has_key(self, key, version=None):
        return self._count_at(self._path(key, version)) is not None

    def clear(self):
        with self._lock():
            for name in os.listdir(self.folder):
                if name.endswith((self.SUFFIX, ".tmp")):
                    _remove(os.path.join(self.folder, name))

    def _path(self, key, version=None) -> str:
        key = self.make_and_validate_key(key, version=version)
        return os.path.join(self.folder, hashlib.md5(key.encode(), usedforsecurity=False).hexdigest() + self.SUFFIX)

    def _header(self, timeout) -> bytes:
        expiry = self.get_backend_timeout(timeout)
        return self.HEADER.pack(float("inf") if expiry is None else expiry)

    def _content(self, value, timeout) -> bytes:
        if type(value) is not int or not 0 <= value <= self.MAX_COUNT:
            raise TypeError(f"FileCounters keeps counts (whole numbers from 0 to {self.MAX_COUNT}), not {value!r}.")
        return self._header(timeout) + bytes(value)

    def _count(self, fd) -> int | None:
        """The count of the open counter `fd`, or None once it has expired."""
        header = os.pread(fd, self.HEADER.size, 0)
        if len(header) < self.HEADER.size or self.HEADER.unpack(header)[0] <= time.time():
            return None
        return os.fstat(fd).st_size - self.HEADER.size

    def _count_at(self, path: str) -> int | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return self._count(fd)
        finally:
            os.close(fd)

    def _write(self, path: str, content: bytes) -> None:
        """Replace the counter at `path` with `content` whole: readers see the old file or the new one."""
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            os.write(fd, content)
        finally:
            os.close(fd)
        os.replace(temporary, path)

    def _cull(self) -> None:
        """Before a counter is made: with max_entries counters or more, remove the expired ones, then (if that is
        not enough) a third of the rest, as Django's file cache culls."""
        names = [name for name in os.listdir(self.folder) if name.endswith(self.SUFFIX)]
        if len(names) < self.max_entries:
            return
        live = [name for name in names if self._count_at(os.path.join(self.folder, name)) is not None]
        for name in set(names) - set(live):
            _remove(os.path.join(self.folder, name))
        if len(live) >= self.max_entries:
            for name in live[: len(live) // 3]:
                _remove(os.path.join(self.folder, name))

    def _lock(self):
        return exclusive_lock(self.lock_path)


@contextmanager
def exclusive_lock(path: str):
    """An exclusive lock on the file at `path` (made if missing), held by one process of those that share it."""
    with open(path, "ab") as lock_file:
        locks.lock(lock_file, locks.LOCK_EX)
        try:
            yield
        finally:
            locks.unlock(lock_file)


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.remove(path)


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

    # Adds ARGV[2] to each of the first ARGV[1] keys that is there (false for one that is not: incr()'s
    # ValueError), then MGET of the other keys.
    INCR_AND_GET_MANY = """
    local counted, delta = tonumber(ARGV[1]), ARGV[2]
    local counts = {}
    for i = 1, counted do
        counts[i] = redis.call('EXISTS', KEYS[i]) == 1 and redis.call('INCRBY', KEYS[i], delta)
    end
    local values = {}
    if #KEYS > counted then values = redis.call('MGET', unpack(KEYS, counted + 1)) end
    return {counts, values}
    """

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
        (value,), _ = self._incr_and_get([key], [], delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def incr_and_get_many(self, counter_keys: list[str], keys: list[str]) -> tuple[list[int | None], dict]:
        """`incr()` of each of `counter_keys` and `get_many(keys)` in one command, one round trip.

        A count is what `incr()` returns, or None for a counter that is not there (where `incr()` raises
        ValueError). core.caching.counted_lookup: a throttled API request's count and the lookup of its answer.
        """
        counters = [self.make_and_validate_key(key) for key in counter_keys]
        names = {self.make_and_validate_key(key): key for key in keys}
        counts, values = self._incr_and_get(counters, list(names), 1)
        pairs = zip(names.values(), values, strict=True)
        return counts, {name: self.serializer.loads(value) for name, value in pairs if value is not None}

    def _incr_and_get(self, counters: list[str], keys: list[str], delta: int) -> tuple[list, list]:
        """The script on made keys: (counts, raw values)."""
        client = self.counting.get_client(write=True)
        return client.eval(self.INCR_AND_GET_MANY, len(counters) + len(keys), *counters, *keys, len(counters), delta)
