"""`naturaltime` ("3 hours ago") as django.contrib.humanize writes it, each text made once per language.

humanize translates every piece of its text again each time it writes one: 16-30 µs a time, 25 times
on every page of posts (measured). What the text says depends only on the language and on what humanize
shows: "now", a number of seconds, minutes or hours, or at most two adjacent calendar units ("2 days,
3 hours ago", "1 year, 2 months from now"). `naturaltime` works that out with humanize's own arithmetic
(`_shown`), and writes the text with humanize's translated pieces (`_text`) only the first time it meets
it in a language; afterwards it is a dictionary lookup. tests/pages/test_naturaltime.py compares it with
humanize on many random times, both directions, in every language.
"""

import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.utils import timezone
from django.utils.html import avoid_wrapping
from django.utils.timesince import MONTHS_DAYS, TIME_CHUNKS, TIME_STRINGS_KEYS
from django.utils.timezone import is_aware
from django.utils.translation import get_language, gettext, override

register = template.Library()

TEXTS_KEPT = 20_000  # (language, what is shown) texts kept; the dictionary starts over when full
_texts: dict[tuple, str] = {}


@register.filter
def naturaltime(value):
    """humanize's naturaltime: "now", "3 minutes ago", "2 days, 3 hours ago", "1 week from now"."""
    return _natural(value, timezone.now(), get_language())


def naturaltimes():
    """`naturaltime` for the many times of one page: the clock and the language are read once."""
    now, language = timezone.now(), get_language()
    return lambda value: _natural(value, now, language)


def _natural(value, now: datetime.datetime, language: str):
    if not isinstance(value, datetime.datetime) or not is_aware(value):
        return NaturalTimeFormatter.string_for(value)  # dates, naive times, anything else: humanize itself
    key = (language, *_shown(value, now))
    try:
        return _texts[key]
    except KeyError:
        if len(_texts) >= TEXTS_KEPT:
            _texts.clear()
        with override(language):  # the key's language, whatever is active now
            text = _texts[key] = _text(*key[1:])
        return text


def _shown(value: datetime.datetime, now: datetime.datetime) -> tuple:
    """What NaturalTimeFormatter.string_for(value) shows at `now`: (its string's name, the numbers)."""
    past = value < now
    delta = now - value if past else value - now
    direction = "past" if past else "future"
    if delta.days != 0:
        # defaultfilters.timesince / timeuntil: now in value's time zone, then the earlier one first.
        now = now.astimezone(value.tzinfo)
        return (f"{direction}-day", _calendar_units(value, now) if past else _calendar_units(now, value))
    if delta.seconds == 0:
        return ("now",)
    if delta.seconds < 60:
        return (f"{direction}-second", delta.seconds)
    if delta.seconds < 60 * 60:
        return (f"{direction}-minute", delta.seconds // 60)
    return (f"{direction}-hour", delta.seconds // 60 // 60)


def _calendar_units(d: datetime.datetime, now: datetime.datetime) -> tuple[tuple[str, int], ...]:
    """The (unit, number) pairs django.utils.timesince.timesince(d, now) writes (depth 2), in its arithmetic."""
    delta = now - d
    if delta.days * 24 * 60 * 60 + delta.seconds <= 0:
        return (("minute", 0),)
    total_months = (now.year - d.year) * 12 + (now.month - d.month)
    if d.day > now.day or (d.day == now.day and d.time() > now.time()):
        total_months -= 1
    years, months = divmod(total_months, 12)
    pivot = d
    if years or months:
        pivot_year, pivot_month = d.year + years, d.month + months
        if pivot_month > 12:
            pivot_month -= 12
            pivot_year += 1
        day = min(MONTHS_DAYS[pivot_month - 1], d.day)
        pivot = datetime.datetime(pivot_year, pivot_month, day, d.hour, d.minute, d.second, tzinfo=d.tzinfo)
    remaining = (now - pivot).total_seconds()
    partials = [years, months]
    for chunk in TIME_CHUNKS:
        count = int(remaining // chunk)
        partials.append(count)
        remaining -= chunk * count
    first = next((i for i, count in enumerate(partials) if count), None)
    if first is None:
        return (("minute", 0),)
    units = []
    for name, count in zip(TIME_STRINGS_KEYS[first : first + 2], partials[first : first + 2], strict=True):
        if not count:
            break
        units.append((name, count))
    return tuple(units)


def _text(name: str, numbers=None) -> str:
    """humanize's text for what `_shown` found, in the active language."""
    strings = NaturalTimeFormatter.time_strings
    if name == "now":
        return str(strings["now"])
    if not name.endswith("-day"):
        return str(strings[name] % {"count": numbers})
    pieces = NaturalTimeFormatter.past_substrings if name == "past-day" else NaturalTimeFormatter.future_substrings
    delta = gettext(", ").join(avoid_wrapping(pieces[unit] % {"num": count}) for unit, count in numbers)
    return str(strings[name] % {"delta": delta})
