"""URLs of one route for many values (a page of posts links every author three times), built cheaply.

`reverse()` searches the URLconf and checks the value against the route's pattern on every call:
about 12 µs, three times per post on a page of posts and once per post in the API (measured). A
`Route` reverses its route once per script prefix and URLconf with a probe value, keeps the text
around it, and puts each value in its place quoted as reverse() quotes it: the same URL.
"""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

# Django's path converters (django.urls.converters): the values they take, and a probe of each.
_CONVERTERS = {int: (re.compile(r"[0-9]+"), "918273645"), str: (re.compile(r"[^/]+"), "routeprobe918273645")}
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted
KEPT = 256  # (route, script prefix, URLconf) entries kept by each cache below; a full cache starts over
_fixed: dict[tuple, str] = {}
_positional: dict[tuple, "Route"] = {}
_POSITIONAL = ""  # Route's argument name for a positional argument (route_url)


def fixed_url(name: str) -> str:
    """reverse(name) for a route without arguments, reversed once per script prefix and URLconf."""
    where = (name, get_script_prefix(), get_urlconf())
    try:
        return _fixed[where]
    except KeyError:
        if len(_fixed) >= KEPT:
            _fixed.clear()
        url = _fixed[where] = reverse(name)
        return url


def route_url(name: str, value) -> str:
    """reverse(name, args=[value]) for a route with one `int` or `str` argument, built as a Route builds it."""
    kind = int if isinstance(value, int) else str
    route = _positional.get((name, kind))
    if route is None:
        if len(_positional) >= KEPT:
            _positional.clear()
        route = _positional[name, kind] = Route(name, **{_POSITIONAL: kind})
    try:
        return route(value)
    except NoReverseMatch:  # the route does not take the probe (say a str for an <int:...>): reverse() decides
        return reverse(name, args=[value])


class Route:
    """`Route("profile", username=str)("ana")` == `reverse("profile", kwargs={"username": "ana"})`.

    The route takes one argument, through Django's `int` or `str` converter. A value the converter
    would not take goes through reverse() itself (and fails there as it always did).
    """

    def __init__(self, name: str, **argument: type):
        ((self.arg, kind),) = argument.items()
        self.name = name
        self.accepts, self.probe = _CONVERTERS[kind]
        self._around: dict[tuple, tuple[str, str]] = {}

    def _reverse(self, value) -> str:
        if self.arg == _POSITIONAL:
            return reverse(self.name, args=[value])
        return reverse(self.name, kwargs={self.arg: value})

    def __call__(self, value) -> str:
        return self.maker()(value)

    def maker(self) -> Callable[[Any], str]:
        """This route's URL for any value, under the current script prefix and URLconf.

        For many URLs in one request (a page of posts): the prefix and URLconf are looked up once.
        """
        head, tail = self._around_value()
        accepts, by_reverse = self.accepts.fullmatch, self._reverse

        def url(value) -> str:
            text = str(value)
            if not accepts(text):
                return by_reverse(value)
            return head + quote(text, safe=_SAFE) + tail

        return url

    def _around_value(self) -> tuple[str, str]:
        where = (get_script_prefix(), get_urlconf())
        around = self._around.get(where)
        if around is None:
            head, found, tail = self._reverse(self.probe).partition(self.probe)
            if not found or self.probe in tail:
                raise ValueError(f"route {self.name!r}: the probe value is not in its URL once")
            if len(self._around) >= KEPT:
                self._around.clear()
            around = self._around[where] = (head, tail)
        return around
