"""Hindi from the navigation's language switcher, in a real browser: the pages, the counter of app.js, and the
choice saved for the signed-in person."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import FollowFactory, PostFactory, UserFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (fails with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
DEVANAGARI = re.compile(r"[\u0900-\u097f]")


def switch_language(page, name: str, button: str):
    page.get_by_label(re.compile(r"^(Language|भाषा)$")).select_option(label=name)
    page.get_by_role("button", name=button).click()


def minutes_ago_in_hindi(page, *minutes: int) -> re.Pattern:
    """Any of "`minutes` minutes ago" as app.js writes it in Hindi: Intl.RelativeTimeFormat of this browser."""
    texts = page.evaluate(
        '(minutes) => minutes.map((m) => new Intl.RelativeTimeFormat("hi").format(-m, "minute"))', list(minutes)
    )
    assert all(DEVANAGARI.search(text) for text in texts), texts
    return re.compile(f"^({'|'.join(map(re.escape, texts))})$")


def test_switching_to_hindi_with_the_navigation(new_page, page_problems, screenshot, live_server_gate):
    sam, meera = UserFactory(username="sam"), UserFactory(username="meera")
    FollowFactory(follower=sam, followed=meera)
    twelve_minutes_ago = timezone.now() - timedelta(minutes=12)
    PostFactory(author=meera, body="ग्रैंड राउंड्स गुरुवार दोपहर 3 बजे, कमरा 2", timestamp=twelve_minutes_ago)
    page = new_page()  # its browser asks for English (en-GB)

    page.goto("/explore/")
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    switch_language(page, "हिन्दी", "Change language")
    expect(page).to_have_url(re.compile(r"/explore/$"))  # back on the same page
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", name="एक्सप्लोर")).to_be_visible()
    expect(page.get_by_role("link", name="होम")).to_be_visible()
    twelve_minutes_ago_text = minutes_ago_in_hindi(page, 12, 13)  # a minute of slack for a slow machine
    expect(page.locator("article.post time")).to_have_text(twelve_minutes_ago_text)

    # Signing in, in Hindi; the feed's counter (app.js) speaks Hindi too.
    page.get_by_role("link", name="साइन इन करें").first.click()
    page.get_by_label("उपयोगकर्ता नाम").fill("sam")
    page.get_by_label("पासवर्ड", exact=True).fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="साइन इन करें").click()
    expect(page.get_by_role("heading", name="नमस्ते, sam!")).to_be_visible()
    counter = page.locator('[data-counter-for="id_body"]')
    expect(counter).to_have_text("140 अक्षर बाकी")
    page.get_by_label("कुछ कहिए").press_sequentially("नमस्ते")
    expect(counter).to_have_text("134 अक्षर बाकी")
    expect(page.locator("article.post time")).to_have_text(twelve_minutes_ago_text)
    screenshot(page, "language-hindi-feed")

    # The choice made before signing in stays in the cookie only; signed in, the switcher also saves it.
    with live_server_gate.lock:  # the page polls the notifications
        assert User.objects.get(pk=sam.pk).language == ""
    switch_language(page, "English", "भाषा बदलें")
    expect(page.get_by_role("heading", name="Hi, sam!")).to_be_visible()
    expect(counter).to_have_text("140 characters left")
    with live_server_gate.lock:
        assert User.objects.get(pk=sam.pk).language == "en"
    assert page_problems.errors == []
