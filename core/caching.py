"""Cached reads with exact invalidation: what a read shows is kept with the versions of everything it depends
on, and every write that changes one of those bumps its version.

A *scope* is a name for a set of things a read can show: "posts" (any post), "people" (any person as the
lists show them), "person:42" (one person: their fields, counts and posts), "following:42" (whom they
follow), "name:42" (their username, as the layout of their pages shows it), "org" (the organization's names
and structure). Each scope has a version, a random token kept without expiry in the `state` cache
(settings.CACHES: the shared cache, or a small folder beside it).
A read's value is kept with the versions of its scopes it was read under; a read asks for the current
versions and the kept value together (one `get_many`, one round trip when versions and values share a
store, as with Redis) and uses the value only if its versions are the current ones. A write calls
`invalidate(scope, ...)`, which gives those scopes new tokens once the transaction commits, so every later
read, in any worker or on any node sharing the cache, finds the kept value out of date and reads the
database (and keeps what it read in its place).

Why this never serves a stale value: a version changes again once the write is committed (`invalidate`),
and a reader that sees that version reads the database after the commit. A version that is lost from the cache
(culled, or the cache cleared) gets a new random token, never an old one. "all" is part of every read,
for the commands that rewrite everything (`seed_db`, `empty_db`).
"""

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.utils.connection import ConnectionProxy

# Small entries written often, looked up on each use as `django.core.cache.cache` is (settings.CACHES): the
# versions below (every write), and the throttle and sign-in counters (every API request: core.throttling,
# accounts.signin_guard). With a CACHE_URL all three are the one shared cache.
state = ConnectionProxy(caches, "state")
counters = ConnectionProxy(caches, "counters")

ALL = "all"
DEFAULT_TIMEOUT = 24 * 60 * 60  # seconds a cached read is kept at most (it is never served once stale)
_pending = threading.local()


def _scope_key(scope: str) -> str:
    return f"scope:{scope}"


def _new_version() -> str:
    return uuid.uuid4().hex[:16]


def versions(*scopes: str) -> str:
    """The current versions of "all" and of `scopes`, as one string to end a cache key with."""
    keys = _scope_keys(scopes)
    return _joined(keys, state.get_many(keys))


def lookup(name: str, scopes: Iterable[str] = ()) -> tuple[str, Any]:
    """The current versions of `scopes` and the value kept under `name` if it was read under them, else None.

    One round trip where the versions and the values share a store (settings.CACHES: a CACHE_URL serves both).
    """
    keys = _scope_keys(scopes)
    if _one_store():
        found = cache.get_many([*keys, name])
        kept = found.pop(name, None)
    else:
        found, kept = state.get_many(keys), cache.get(name)
    at = _joined(keys, found)
    return at, _value_at(kept, at)


def counts_with_lookups() -> bool:
    """Whether `counted_lookup` can count and look up in one round trip (the caches are one Redis)."""
    return _one_store("counters") and hasattr(cache, "incr_and_get_many")


def counted_lookup(counter_keys: list[str], name: str, scopes: Iterable[str]) -> tuple[list, str, Any] | None:
    """`counters.incr()` of each of `counter_keys` and `lookup(name, scopes)` in one round trip: (the counts, as
    `incr()` gives them or None for a counter not there, then what `lookup()` gives). None where the caches cannot
    do both at once (they are not one Redis, core.cache_backends.RedisCache): count and look up apart."""
    if not counts_with_lookups():
        return None
    keys = _scope_keys(scopes)
    counts, found = cache.incr_and_get_many(counter_keys, [*keys, name])
    kept = found.pop(name, None)
    at = _joined(keys, found)
    return counts, at, _value_at(kept, at)


def keep(name: str, at: str, value: Any, timeout: int = DEFAULT_TIMEOUT) -> None:
    """Keep `value`, read under the versions `at` (from `lookup()` or `versions()`), under `name`."""
    cache.set(name, (at, value), timeout)


def cached(
    name: str,
    compute: Callable[[], Any],
    *,
    scopes: Iterable[str] = (),
    at: str | None = None,
    looked_up: tuple[str, Any] | None = None,
    timeout: int = DEFAULT_TIMEOUT,
) -> Any:
    """`compute()`, kept under `name` with the versions of `scopes`; computed again after any of them changes.

    `name` must say everything else the value depends on (ids, page, language, host…). `at`: those versions,
    when the caller has read them already (`versions()`); `looked_up`: what `lookup(name, scopes)` (or
    `counted_lookup`) gave, when the caller has looked it up already. `compute()` must not return None (the
    cache cannot tell it from a miss).
    """
    if looked_up is not None:
        at, value = looked_up
    elif at is None:
        at, value = lookup(name, scopes)
    else:
        value = _value_at(cache.get(name), at)
    if value is None:
        value = compute()
        keep(name, at, value, timeout)
    return value


def _one_store(*aliases: str) -> bool:
    """Whether the versions (and the `aliases`) are kept in the same store as the values (settings.CACHES)."""
    return all(settings.CACHES[alias] == settings.CACHES["default"] for alias in ("state", *aliases))


def _scope_keys(scopes: Iterable[str]) -> list[str]:
    return [_scope_key(scope) for scope in (ALL, *scopes)]


def _joined(keys: list[str], found: dict[str, str]) -> str:
    for key in keys:
        if key not in found:
            version = _new_version()
            # Another process may have set it first: use theirs, so that both read the same entries.
            found[key] = version if state.add(key, version, timeout=None) else state.get(key, version)
    return ".".join(found[key] for key in keys)


def _value_at(kept: Any, at: str) -> Any:
    return kept[1] if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == at else None


def invalidate(*scopes: str) -> None:
    """New versions for `scopes` now and, inside a transaction, once more when it commits.

    The bump at the commit is the one that matters: a reader that saw the first new version may have read
    the database before the commit and kept the old rows under it; the second version leaves that entry
    behind. The first makes the change show at once to the writer's own transaction (and to tests, whose
    transaction never commits). Within one transaction the scopes are gathered and bumped together at the
    commit; a transaction that rolls back may leave its scopes to be bumped with the next commit: one
    cache miss more, never a stale read.
    """
    _bump(scopes)
    if not transaction.get_connection().in_atomic_block:
        return
    pending = getattr(_pending, "scopes", None)
    if pending is None:
        pending = _pending.scopes = set()
    pending.update(scopes)
    transaction.on_commit(_bump_pending)


def invalidate_all() -> None:
    """Every cached read is read again (for commands that rewrite whole tables)."""
    invalidate(ALL)


def _bump_pending() -> None:
    scopes = getattr(_pending, "scopes", None)
    if not scopes:
        return  # an earlier callback of the same commit bumped them
    _pending.scopes = None
    _bump(scopes)


def _bump(scopes: Iterable[str]) -> None:
    state.set_many({_scope_key(scope): _new_version() for scope in scopes}, timeout=None)
