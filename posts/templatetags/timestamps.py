"""`naturaltime` ("3 hours ago") as django.contrib.humanize writes it, with each translated piece kept.

humanize looks up the translation of every piece ("%(num)d day", "%(count)s hours ago", ...) again
for every time it writes: about 30 µs a time, the largest part of a page of posts (measured). The
pieces only depend on the language and the number, so they are translated once per language and
number and kept; the text is the same as humanize's, in every language.
"""

from django import template
from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.utils.translation import get_language

register = template.Library()

KEPT_PER_PIECE = 2_000  # distinct (language, value) texts kept per piece; a piece starts over when full


class _Kept:
    """A lazy translated string with a `%` placeholder, whose results are kept per language and values."""

    def __init__(self, lazy):
        self.lazy = lazy
        self.kept = {}

    def __mod__(self, values: dict) -> str:
        key = (get_language(), *values.items())
        try:
            return self.kept[key]
        except KeyError:
            if len(self.kept) >= KEPT_PER_PIECE:
                self.kept.clear()
            text = self.kept[key] = str(self.lazy % values)
            return text

    def __str__(self) -> str:  # "now" is used without a placeholder
        return str(self.lazy)


def _kept(strings: dict) -> dict:
    return {name: _Kept(lazy) for name, lazy in strings.items()}


class _KeptNaturalTime(NaturalTimeFormatter):
    time_strings = _kept(NaturalTimeFormatter.time_strings)
    past_substrings = _kept(NaturalTimeFormatter.past_substrings)
    future_substrings = _kept(NaturalTimeFormatter.future_substrings)


@register.filter
def naturaltime(value):
    """humanize's naturaltime: "now", "3 minutes ago", "2 days, 3 hours ago", "1 week from now"."""
    return str(_KeptNaturalTime.string_for(value))
