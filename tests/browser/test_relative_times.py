"""Relative times in a real browser: the server writes each moment as <time datetime="…" data-relative>date</time>
and app.js makes it "5 minutes ago" with Intl.RelativeTimeFormat in the page's language, every minute and in hover
cards. The browser's clock is Playwright's, so the tests say what time it is.

English texts are written out; Hindi ones are asked of the browser's own Intl (its data is what the page shows),
and must be Devanagari and not the English.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.browser.conftest import ServerGate
from tests.factories import PostFactory, UserFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (fails with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)  # the browser's clock in these tests
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
POPOVER_TIMEOUT_MS = 3_000  # hover delay 0.5 s + one fetch

# How long ago → (the count and unit app.js should choose, in English). 0 is Intl's "now" (numeric "auto").
SCHEME = [
    (timedelta(0), 0, "second", "now"),
    (timedelta(seconds=30), -30, "second", "30 seconds ago"),
    (timedelta(minutes=5, seconds=59), -5, "minute", "5 minutes ago"),  # rounded down, as naturaltime did
    (timedelta(hours=3), -3, "hour", "3 hours ago"),
    (timedelta(days=1, hours=20), -1, "day", "1 day ago"),  # elapsed days, not the calendar's "yesterday"
    (timedelta(days=15), -2, "week", "2 weeks ago"),
    (timedelta(days=61), -2, "month", "2 months ago"),
    (timedelta(days=400), -1, "year", "1 year ago"),
]


def relative_text(page, language: str, value: int, unit: str, english: str) -> str:
    """What Intl in this browser says for `value` `unit`s in `language`: checked against `english` for English."""
    text = page.evaluate(
        """([language, value, unit]) =>
          new Intl.RelativeTimeFormat(language, {numeric: value === 0 ? "auto" : "always"}).format(value, unit)""",
        [language, value, unit],
    )
    if language == "en":
        assert text == english
    else:
        assert DEVANAGARI.search(text), text
        assert text != english
    return text


def in_language(page, live_server, language: str):
    """The page's context asks for `language` with Django's language cookie (as the navigation's switcher sets)."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])


def post_time(page, body: str):
    """The post's time (not that of a hover card opened in it: the card follows the username in the document)."""
    return page.locator("article.post", has_text=body).locator("time[data-relative]:not(.popover *)")


@pytest.mark.parametrize("language", ["en", "hi"])
def test_dates_become_relative_times_in_the_page_language(new_page, page_problems, live_server, language):
    author = UserFactory(username="maria", last_seen=NOW - timedelta(minutes=3))
    for n, (ago, *_) in enumerate(SCHEME):
        PostFactory(author=author, body=f"Post {n}", timestamp=NOW - ago)
    page = new_page()
    in_language(page, live_server, language)
    page.clock.set_fixed_time(NOW)  # Date.now() stays NOW: even "30 seconds ago" is exact

    page.goto("/explore/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    for n, (_, value, unit, english) in enumerate(SCHEME):
        expect(post_time(page, f"Post {n}")).to_have_text(relative_text(page, language, value, unit, english))

    # The exact time on hover is still the reader's own, in the page's language.
    time = post_time(page, "Post 3")
    exact = page.evaluate(
        """([language, iso]) =>
          new Intl.DateTimeFormat(language, {dateStyle: "medium", timeStyle: "short"}).format(new Date(iso))""",
        [language, time.get_attribute("datetime")],
    )
    expect(time).to_have_attribute("title", exact)

    page.goto("/user/maria/")
    with translation.override(language):
        label = translation.gettext("Last seen:")
    last_seen = page.locator("p", has_text=label).locator("time[data-relative]")
    expect(last_seen).to_have_text(relative_text(page, language, -3, "minute", "3 minutes ago"))
    assert page_problems.errors == []


@pytest.mark.parametrize("language", ["en", "hi"])
def test_relative_times_move_on_with_the_clock(new_page, page_problems, live_server, language):
    """The minute's refresh updates posts and an open hover card; a card shown again is made relative afresh."""
    author = UserFactory(username="maria", last_seen=NOW - timedelta(minutes=3))
    PostFactory(author=author, body="Grand rounds moved to Thursday", timestamp=NOW - timedelta(minutes=5))
    page = new_page()
    in_language(page, live_server, language)
    page.clock.install(time=NOW)  # flows from NOW as real time does; fast_forward jumps it, firing due timers

    page.goto("/explore/")
    time = post_time(page, "Grand rounds")
    expect(time).to_have_text(relative_text(page, language, -5, "minute", "5 minutes ago"))
    link = page.locator("article.post a.user-popup")
    link.hover()
    card_time = page.locator(".popover time[data-relative]")
    expect(card_time).to_have_text(relative_text(page, language, -3, "minute", "3 minutes ago"))

    page.clock.fast_forward("02:00")  # past the 60 s refresh, the card still open
    expect(time).to_have_text(relative_text(page, language, -7, "minute", "7 minutes ago"))
    expect(card_time).to_have_text(relative_text(page, language, -5, "minute", "5 minutes ago"))

    page.mouse.move(0, 0)
    expect(page.locator(".popover")).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    page.clock.fast_forward("01:00:00")
    expect(time).to_have_text(relative_text(page, language, -1, "hour", "1 hour ago"))
    link.hover()  # Bootstrap builds the card again from the server's HTML, dates and all
    expect(page.locator(".popover")).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    expect(card_time).to_have_text(relative_text(page, language, -1, "hour", "1 hour ago"))
    assert page_problems.errors == []


@pytest.mark.parametrize("language", ["en", "hi"])
def test_without_javascript_the_date_stays(browser, live_server, live_server_gate, page_problems, language):
    timestamp = timezone.now() - timedelta(minutes=5)
    PostFactory(body="Grand rounds moved to Thursday", timestamp=timestamp)
    with translation.override(language):
        date = date_format(timezone.localtime(timestamp), "DATE_FORMAT")
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        extra_http_headers={ServerGate.HEADER: live_server_gate.token},
    )
    try:
        page = context.new_page()
        page_problems.watch(page)
        in_language(page, live_server, language)
        page.goto("/explore/")
        time = post_time(page, "Grand rounds")
        expect(time).to_have_text(date)
        assert datetime.fromisoformat(time.get_attribute("datetime")) == timestamp
    finally:
        context.close()
    assert page_problems.errors == []
