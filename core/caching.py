"""Cached reads with exact invalidation: what a read shows is kept under a key that names the versions of
everything it depends on, and every write that changes one of those bumps its version.

A *scope* is a name for a set of things a read can show: "posts" (any post), "people" (any person as the
lists show them), "person:42" (one person: their fields, counts and posts), "following:42" (whom they
follow), "org" (the organization's names and structure). Each scope has a version, a random token kept
without expiry in the `state` cache (settings.CACHES: the shared cache, or a small folder beside it).
A read asks for the versions of its scopes (one `get_many`) and looks for its value under a key that ends
with them; a write calls `invalidate(scope, ...)`, which gives those scopes new tokens once the
transaction commits, so every later read, in any worker or on any node sharing the cache, misses the old
entries and reads the database. Old entries are never read again and expire (or are culled).

Why this never serves a stale value: a version changes again once the write is committed (`invalidate`),
and a reader that sees that version reads the database after the commit. A version that is lost from the cache
(culled, or the cache cleared) gets a new random token, never an old one. "all" is part of every read,
for the commands that rewrite everything (`seed_db`, `empty_db`).
"""

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache, caches
from django.db import transaction
from django.utils.connection import ConnectionProxy

# Small entries written often (settings.CACHES["state"]): the throttle and sign-in counters and the versions
# below; looked up on each use, as `django.core.cache.cache` is.
state = ConnectionProxy(caches, "state")

ALL = "all"
DEFAULT_TIMEOUT = 24 * 60 * 60  # seconds a cached read is kept at most (it is never served once stale)
_pending = threading.local()


def _scope_key(scope: str) -> str:
    return f"scope:{scope}"


def _new_version() -> str:
    return uuid.uuid4().hex[:16]


def versions(*scopes: str) -> str:
    """The current versions of "all" and of `scopes`, as one string to end a cache key with."""
    keys = [_scope_key(scope) for scope in (ALL, *scopes)]
    found = state.get_many(keys)
    for key in keys:
        if key not in found:
            version = _new_version()
            # Another process may have set it first: use theirs, so that both read the same entries.
            found[key] = version if state.add(key, version, timeout=None) else state.get(key, version)
    return ".".join(found[key] for key in keys)


def cached(
    name: str,
    compute: Callable[[], Any],
    *,
    scopes: Iterable[str] = (),
    at: str | None = None,
    timeout: int = DEFAULT_TIMEOUT,
) -> Any:
    """`compute()`, kept under `name` and the versions of `scopes`; computed again after any of them changes.

    `name` must say everything else the value depends on (ids, page, language, host…). `at`: those versions,
    when the caller has read them already (`versions()`). `compute()` must not return None (the cache cannot
    tell it from a miss).
    """
    return cache.get_or_set(f"{name}@{at if at is not None else versions(*scopes)}", compute, timeout)


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
