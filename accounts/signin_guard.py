"""Repeated failed sign-ins are refused for a while (pages and the API token endpoint alike).

Failures are counted per username and client address in the cache, so an attacker guessing one
person's password is stopped without locking that person out from everywhere.
"""

from django.conf import settings
from django.core.cache import cache


def _key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return f"signin-failures:{username.strip().lower()}:{address}"


def signin_blocked(request, username: str) -> bool:
    """Whether this username from this address has failed too often lately."""
    return cache.get(_key(request, username), 0) >= settings.SIGNIN_FAILURE_LIMIT


def signin_failed(request, username: str) -> None:
    """Count one failure; the count expires SIGNIN_FAILURE_WINDOW seconds after the first one."""
    key = _key(request, username)
    cache.add(key, 0, timeout=settings.SIGNIN_FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.SIGNIN_FAILURE_WINDOW)


def signin_succeeded(request, username: str) -> None:
    cache.delete(_key(request, username))
