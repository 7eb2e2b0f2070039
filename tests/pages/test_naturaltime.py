"""posts.templatetags.timestamps.naturaltime writes what django.contrib.humanize's naturaltime writes."""

import datetime
import random
import zoneinfo

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


@pytest.mark.parametrize("language", ["en", "hi"])
def test_random_times_read_as_humanize_reads_them(language, monkeypatch):
    """Thousands of times around month ends, leap days and year ends, both directions, from random clocks."""
    rng = random.Random(5)
    with translation.override(language):
        for _ in range(3_000):
            now = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC) + rng.random() * datetime.timedelta(days=2_000)
            delta = rng.choice([rng.random() * datetime.timedelta(days=900), rng.randrange(90_000) * SECOND])
            value = now + rng.choice([-1, 1]) * delta
            monkeypatch.setattr(timezone, "now", lambda now=now: now)
            assert _at(now, timestamps.naturaltime, value) == _at(now, humanize_naturaltime, value), (now, value)


def test_times_in_another_time_zone_read_as_humanize_reads_them(monkeypatch):
    """A value in a zone with summer time: humanize counts calendar units in the value's zone."""
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    now = datetime.datetime(2024, 10, 27, 12, tzinfo=datetime.UTC)
    for days in (1, 2, 30, 31, 200):
        for value in (now - days * datetime.timedelta(days=1), now + days * datetime.timedelta(days=1)):
            value = value.astimezone(zone)
            monkeypatch.setattr(timezone, "now", lambda: now)
            assert _at(now, timestamps.naturaltime, value) == _at(now, humanize_naturaltime, value), value


def test_what_is_kept_is_bounded(monkeypatch):
    monkeypatch.setattr(timestamps, "TEXTS_KEPT", 5)
    monkeypatch.setattr(timestamps, "_texts", {})
    now = timezone.now()
    with translation.override("en"):
        for n in range(2, 20):
            assert timestamps.naturaltime(now - n * datetime.timedelta(minutes=1, seconds=1)) == f"{n}\xa0minutes ago"
            assert len(timestamps._texts) <= 5


def test_a_naive_time_is_humanizes_own_reading():
    value = datetime.datetime.now() - datetime.timedelta(hours=2)
    with translation.override("en"):
        assert timestamps.naturaltime(value) == humanize_naturaltime(value) == "2\xa0hours ago"


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


def test_times_of_a_page_are_written_in_the_pages_language(monkeypatch):
    monkeypatch.setattr(timestamps, "_texts", {})
    value = timezone.now() - datetime.timedelta(days=3)
    with translation.override("hi"):
        hindi = timestamps.naturaltimes()
    with translation.override("en"):
        assert hindi(value) != timestamps.naturaltime(value)  # made in Hindi although English is active
    with translation.override("hi"):
        assert hindi(value) == timestamps.naturaltime(value)
