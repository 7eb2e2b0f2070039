"""posts.templatetags.timestamps.naturaltime writes what django.contrib.humanize's naturaltime writes."""

import datetime

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime as humanize_naturaltime
from django.utils import timezone, translation

from posts.templatetags import timestamps

SECOND = datetime.timedelta(seconds=1)
DELTAS = [
    datetime.timedelta(0),
    SECOND,
    59 * SECOND,
    60 * SECOND,
    61 * SECOND,
    datetime.timedelta(minutes=59, seconds=59),
    datetime.timedelta(hours=1),
    datetime.timedelta(hours=23, minutes=59),
    datetime.timedelta(days=1),
    datetime.timedelta(days=1, hours=5),
    datetime.timedelta(days=6, hours=23),
    datetime.timedelta(days=8),
    datetime.timedelta(days=31),
    datetime.timedelta(days=45, hours=3),
    datetime.timedelta(days=365),
    datetime.timedelta(days=800),
    datetime.timedelta(days=365 * 30 + 17),
]


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("direction", [-1, 1], ids=["past", "future"])
def test_the_text_is_humanizes_in_every_language(language, direction, monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    with translation.override(language):
        for _ in range(2):  # the second time from what was kept
            for delta in DELTAS:
                value = now + direction * delta
                # humanize reads the clock itself: freeze it for both through datetime.now's module.
                expected = _at(now, humanize_naturaltime, value)
                assert _at(now, timestamps.naturaltime, value) == expected, (language, delta)


def test_a_language_switch_is_not_served_the_other_languages_text():
    value = timezone.now() - datetime.timedelta(days=3)
    with translation.override("en"):
        english = timestamps.naturaltime(value)
    with translation.override("hi"):
        hindi = timestamps.naturaltime(value)
    assert "days" in english
    assert hindi != english


def test_what_is_kept_is_bounded(monkeypatch):
    monkeypatch.setattr(timestamps, "KEPT_PER_PIECE", 5)
    piece = timestamps._KeptNaturalTime.past_substrings["day"]
    piece.kept.clear()
    with translation.override("en"):
        for n in range(20):
            assert piece % {"num": n} == str(piece.lazy % {"num": n}) == ("1 day" if n == 1 else f"{n} days")
            assert len(piece.kept) <= 5


def test_not_a_date_is_left_as_it_is():
    assert timestamps.naturaltime("yesterday") == "yesterday"


def _at(now, naturaltime, value):
    """naturaltime(value) with humanize's clock (datetime.now in its module) stopped at `now`."""
    from django.contrib.humanize.templatetags import humanize

    class Stopped(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return now if tz else now.replace(tzinfo=None)

    original = humanize.datetime
    humanize.datetime = Stopped
    try:
        return naturaltime(value)
    finally:
        humanize.datetime = original
