"""Repeated failed sign-ins are refused for a while, on every sign-in route (pages, API token, admin).

Failures are counted per username and client address in the cache, so an attacker guessing one
person's password is stopped without locking that person out from everywhere.
"""

import math
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache as shared

from accounts.authentication import person_row
from core.caching import counters as cache
from core.clients import client_address


def _key(request, username: str) -> str:
    address = client_address(request) if request is not None else ""
    return f"signin-failures:{username.strip().lower()}:{address}"


def signin_blocked(request, username: str) -> bool:
    """Whether this username from this address has failed too often lately."""
    return cache.get(_key(request, username), 0) >= settings.SIGNIN_FAILURE_LIMIT


def signin_failed(request, username: str) -> None:
    """Count one failure; the count expires SIGNIN_FAILURE_WINDOW seconds after the first one.

    The first failure's time is kept in the shared cache (the counters cache keeps counts only), and every
    count is given what is left of the window: some caches' `incr()` (Django's file and database caches)
    store the new count with their default timeout, which would make the lockout last as long as that instead.
    """
    key, window, now = _key(request, username), settings.SIGNIN_FAILURE_WINDOW, time.time()
    shared.add(f"{key}:since", now, timeout=window)
    left = max(1, math.ceil(shared.get(f"{key}:since", now) + window - now))
    if cache.add(key, 1, timeout=left):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=left)
    else:
        cache.touch(key, timeout=left)


def signin_succeeded(request, username: str) -> None:
    key = _key(request, username)
    cache.delete(key)
    shared.delete(f"{key}:since")


class GuardedModelBackend(ModelBackend):
    """Django's ModelBackend with the failure limit, so that every sign-in route has it.

    The site's sign-in page, the API token endpoint, the admin's and the browsable API's sign-in all
    authenticate through here: failures are counted, and a blocked username and address get no user
    (the site's page and the token endpoint check `signin_blocked` first to say why).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if signin_blocked(request, username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            signin_failed(request, username)
        else:
            signin_succeeded(request, username)
        return user

    def get_user(self, user_id):
        """The signed-in person of a session, from the shared cache (accounts.authentication.person_row)."""
        user = person_row(get_user_model()._meta.pk.to_python(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None
