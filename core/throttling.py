"""API throttles that count requests per fixed window: one cache counter per client and window.

DRF's own throttles keep, per client, the list of its request times over the whole period, and read,
trim and write that list back on every request: the cost grows with the rate allowed (a busy client's
list is as long as the limit) and two workers reading the list at once both add to an old copy, so
requests are lost from the count. Here each client has one integer per window of the period
(`cache.incr`, or `cache.add` for the window's first request: atomic in Redis, in one process's memory
and in the project's file cache, core.cache_backends): constant work per request, and no request goes
uncounted. The price of a fixed window: a client may send up to twice
the limit across the boundary of two windows.
"""

from rest_framework import throttling

from core.caching import counters


class FixedWindowThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rates and cache keys, counted in fixed windows of the rate's period, in the
    "counters" cache (settings.CACHES: the shared cache, or a small folder of its own beside the file cache's)."""

    cache = counters

    def allow_request(self, request, view):
        counter = self.counter_key(request, view)
        return counter is None or self.allows(self.count(counter))

    def counter_key(self, request, view) -> str | None:
        """The key of the counter this request counts in (its client's, in the current window), or None when
        the request is not counted (no rate, or not this throttle's kind of client)."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return None
        self.now = self.timer()
        self.window = int(self.now // self.duration)
        self.window_ends = (self.window + 1) * self.duration
        return f"{self.key}:{self.window}"

    def allows(self, count: int) -> bool:
        """Whether a request counted as the `count`th of its window is let through."""
        return count <= self.num_requests

    def count(self, counter: str) -> int:
        """Count this request in `counter` (`counter_key()`): its number in the window."""
        try:
            return self.cache.incr(counter)  # the common case: the counter exists
        except ValueError:
            return self.open(counter)

    def open(self, counter: str) -> int:
        """Count the window's first request (`incr()` found no counter): open the counter at 1."""
        if self.cache.add(counter, 1, timeout=self.duration + 1):
            # The last window's counter is done with. It would expire, but the file cache only removes an
            # expired entry when it is read again (never, here) or culled, and lists its whole folder on
            # every write: left there, counters of past windows would make every request slower.
            self.cache.delete(f"{self.key}:{self.window - 1}")
            return 1
        try:
            return self.cache.incr(counter)  # another worker opened it in between
        except ValueError:  # …and it expired in between: this request opens the count again
            self.cache.set(counter, 1, timeout=self.duration + 1)
            return 1

    def wait(self):
        """Seconds until the window ends (the Retry-After header)."""
        return max(self.window_ends - self.now, 0)


class AnonRateThrottle(throttling.AnonRateThrottle, FixedWindowThrottle):
    """DRF's AnonRateThrottle (scope "anon", per client address), counted in fixed windows."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, FixedWindowThrottle):
    """DRF's ScopedRateThrottle (the view's `throttle_scope`), counted in fixed windows."""


class RegistrationThrottle(FixedWindowThrottle):
    """New accounts per client address (scope "register"), whoever asks: the API's registration and the
    site's register page count in the same window, so neither is a way around the other."""

    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def registration_allowed(request) -> tuple[bool, float]:
    """Count one registration attempt from `request`'s client; (allowed, seconds until the next window)."""
    throttle = RegistrationThrottle()
    allowed = throttle.allow_request(request, None)
    return allowed, throttle.wait() if throttle.rate else 0.0
