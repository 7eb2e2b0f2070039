"""The issue's journey in a real browser, and every main page rendered with its styles and scripts.

Two people, each in their own browser context: register → sign out and in → post → feed and profile → follow →
hover card → message → live badge → messages page clears it → sign out.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Follow, User
from organization.models import Department, Designation
from organization.services import reference_organization_load
from posts.models import Message, Post
from tests.factories import FollowFactory, MessageFactory, PostFactory, UserFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (fails with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

PASSPHRASE = "violet-harbour-drifts-at-dawn-42"
FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
POST = "Hello from Alice <b>bold?</b>"
POPOVER_TIMEOUT_MS = 3_000  # hover delay 0.5 s + one fetch: "within ~2 s", with room for a busy machine
BADGE_TIMEOUT_MS = 12_000  # the navigation polls every 5 s
LANDING_HEADING = "People, their posts and their organization"
# An init script counting the page's notification polls whose answer has been read: app.js updates the badge in
# the promise callback queued right after, so it has run by the time the test's next check is evaluated.
COUNT_POLLS = """
window.notificationPolls = 0;
const readJson = Response.prototype.json;
Response.prototype.json = function () {
  return readJson.call(this).then((data) => {
    if (this.url.includes("/notifications/")) window.notificationPolls += 1;
    return data;
  });
};
"""


def assert_styled(page):
    """Bootstrap's CSS and JS and the app's script are loaded (a missing static file would leave the page bare)."""
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    assert page.evaluate("typeof window.bootstrap") == "object"


def register(page, username):
    page.goto("/accounts/register/")
    expect(page.get_by_role("heading", name="Register")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.locator("#id_password1").fill(PASSPHRASE)
    page.locator("#id_password2").fill(PASSPHRASE)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("alert")).to_have_text(f"Welcome, {username}!")
    expect(page.get_by_role("heading", name=f"Hi, {username}!")).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name=LANDING_HEADING)).to_be_visible()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def sign_in(page, username, password=PASSPHRASE):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name=f"Hi, {username}!")).to_be_visible()


def test_journey(new_page, page_problems, screenshot, live_server_gate):
    alice, bob = new_page(), new_page()

    # 1. Alice registers (signed in, on the feed), signs out, and signs in again.
    alice.goto("/")
    expect(alice.get_by_role("heading", name=LANDING_HEADING)).to_be_visible()
    assert_styled(alice)
    screenshot(alice, "journey-landing")
    register(alice, "alice")
    expect(alice.get_by_text("Nothing here yet")).to_be_visible()
    sign_out(alice)
    sign_in(alice, "alice")

    # 2. She posts; the counter follows her typing; the post shows as text on the feed and on her profile.
    body, counter = alice.get_by_label("Say something"), alice.locator('[data-counter-for="id_body"]')
    expect(counter).to_have_text("140 characters left")
    body.press_sequentially("Hello")
    expect(counter).to_have_text("135 characters left")
    body.fill(POST)
    expect(counter).to_have_text(f"{140 - len(POST)} characters left")
    alice.get_by_role("button", name="Post").click()
    expect(alice.get_by_role("alert")).to_have_text("Your post is live.")
    for url in ("/", "/user/alice/"):
        alice.goto(url)
        post = alice.locator("article.post").first
        expect(post.locator(".post-body")).to_have_text(POST)
        assert "<b>bold?</b>" in post.inner_text()
        expect(post.locator(".post-body b")).to_have_count(0)  # escaped, not rendered bold
    expect(alice.get_by_text("1 post", exact=False)).to_be_visible()
    screenshot(alice, "journey-profile")

    # 3. Bob registers and follows Alice from her profile; her post reaches his feed.
    register(bob, "bob")
    bob.goto("/user/alice/")
    bob.get_by_role("button", name="Follow").click()
    expect(bob.get_by_role("alert")).to_have_text("You are following alice.")
    expect(bob.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(bob.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    expect(bob.locator(".follower-count")).to_have_text("1")
    bob.goto("/")
    expect(bob.locator(".post-body").first).to_have_text(POST)

    # 4. Hovering Alice's name shows her card; leaving hides it; the card is fetched once.
    popup_requests = []
    bob.on("request", lambda req: popup_requests.append(req.url) if "/popup/" in req.url else None)
    link, popover = bob.locator("article.post a.user-popup", has_text="alice").first, bob.locator(".popover")
    link.hover()
    expect(popover).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    expect(popover.locator(".user-card")).to_contain_text("alice")
    expect(popover).to_contain_text("1 follower")
    expect(popover.get_by_role("button", name="Unfollow")).to_be_visible()
    assert_styled(bob)
    screenshot(bob, "journey-feed-popover")
    bob.mouse.move(5, 790)  # far from the link and the card
    expect(popover).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    link.hover()
    expect(popover).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    # The pointer may cross from the name into the card (to use its buttons): it stays open past the 0.2 s
    # leave delay. A fixed wait is the only way to see that something does not happen.
    popover.hover()
    bob.wait_for_timeout(600)
    expect(popover).to_be_visible()
    bob.mouse.move(5, 790)
    expect(popover).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    assert len(popup_requests) == 1, popup_requests

    # 5.-6. Alice sits on a page loaded before the message; Bob's message lights her badge without a reload.
    alice.goto("/")
    badge = alice.locator("#message-count")
    expect(badge).to_be_hidden()
    alice.evaluate("window.loadedBeforeTheMessage = true")
    bob.goto("/send_message/alice/")
    bob.get_by_label("Message").fill("Hi Alice")
    bob.get_by_role("button", name="Send").click()
    expect(bob.get_by_role("alert")).to_have_text("Your message to alice has been sent.")
    expect(bob).to_have_url(re.compile(r"/user/alice/$"))
    expect(badge).to_be_visible(timeout=BADGE_TIMEOUT_MS)
    expect(badge).to_have_text("1")
    assert alice.evaluate("window.loadedBeforeTheMessage") is True  # same document: no reload happened
    screenshot(alice, "journey-feed-badge")

    # The messages page lists it and marks it read: the next page's badge is gone.
    alice.get_by_role("link", name=re.compile(r"^Messages")).click()
    expect(alice).to_have_url(re.compile(r"/messages/$"))
    message = alice.locator("article.message").first
    expect(message.locator(".message-body")).to_have_text("Hi Alice")
    expect(message.locator("a.user-popup")).to_have_text("bob")
    screenshot(alice, "journey-messages")
    # Count, per document, the notification polls answered, to know the next page has asked for the badge.
    alice.add_init_script(COUNT_POLLS)
    alice.get_by_role("link", name="Home").click()
    expect(alice.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    # A function, not an expression: Playwright polls an expression string with eval, which the CSP refuses.
    alice.wait_for_function("() => window.notificationPolls >= 1", timeout=BADGE_TIMEOUT_MS)
    expect(badge).to_be_hidden()
    answer = alice.context.request.get("/notifications/?since=0").json()
    assert [n["data"] for n in answer if n["name"] == "unread_message_count"] == [0]

    # 7. Alice signs out: the landing page and its "Sign in".
    sign_out(alice)
    expect(alice.get_by_role("link", name="Sign in").last).to_be_visible()

    # What the browsers did is what the database holds.
    with live_server_gate.lock:  # the pages still poll
        assert Post.objects.get().body == POST
        assert Follow.objects.filter(follower__username="bob", followed__username="alice").exists()
        assert Message.objects.get().body == "Hi Alice"
        assert User.objects.get(username="alice").last_message_read_time is not None
    assert page_problems.errors == []


def centre_people(now):
    """The reference organization with Maria (a professor of its centre, seen 3 minutes before `now`) and Sam
    (a senior resident of its first unit): (centre, unit, maria, sam)."""
    reference_organization_load()
    centre = Department.objects.get(abbr="RPC")
    unit = centre.units.order_by("name").first()
    maria = UserFactory(
        username="maria",
        full_name="Maria Okafor",
        about_me="Cornea surgeon. Coffee first.",
        department=centre,
        designation=Designation.objects.get(name="Professor"),
        last_seen=now - timedelta(minutes=3),
    )
    sam = UserFactory(
        username="sam",
        full_name="Sam Ito",
        about_me="Night shifts and good notes.",
        department=centre,
        unit=unit,
        designation=Designation.objects.get(name="Senior Resident"),
    )
    return centre, unit, maria, sam


def test_main_pages_render_styled(new_page, page_problems, screenshot):
    """Landing, register, feed, profile with its hover card, messages, explore and the organization, seeded.

    These screenshots are the README's (UPDATE_DOCS_SCREENSHOTS=1 copies two of them to docs/screenshots/).
    """
    now = timezone.now()
    centre, unit, maria, sam = centre_people(now)
    lee = UserFactory(
        username="lee",
        full_name="Lee Novak",
        about_me="Anaesthesia, mostly awake.",
        designation=Designation.objects.get(name="Assistant Professor"),
        last_seen=now - timedelta(hours=1),
    )
    centre.heads.add(maria)
    unit_count = centre.units.count()
    for follower, followed in [(sam, maria), (sam, lee), (lee, maria), (maria, sam)]:
        FollowFactory(follower=follower, followed=followed)
    for minutes_ago, author, body in [
        (190, lee, "Ocular anaesthesia handbook updated: see the shared drive."),
        (75, sam, "Thanks to everyone who covered the night shift!"),
        (40, maria, "Grand rounds moved to Thursday 3 pm, room 2."),
        (12, maria, "New slit lamp installed in Unit 1 today."),
    ]:
        PostFactory(author=author, body=body, timestamp=now - timedelta(minutes=minutes_ago))
    MessageFactory(
        sender=maria, recipient=sam, body="Can you present the case on Thursday?", timestamp=now - timedelta(minutes=8)
    )

    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name=LANDING_HEADING)).to_be_visible()
    assert_styled(page)
    screenshot(page, "landing")
    page.goto("/accounts/register/")
    expect(page.get_by_role("heading", name="Register")).to_be_visible()
    assert_styled(page)
    screenshot(page, "register")

    sign_in(page, "sam", FACTORY_PASSWORD)
    expect(page.locator("article.post")).to_have_count(4)
    expect(page.locator(".post-body").first).to_have_text("New slit lamp installed in Unit 1 today.")
    expect(page.locator("#message-count")).to_have_text("1")  # the first poll, right after the page loads
    assert_styled(page)
    screenshot(page, "feed", docs=True)

    page.goto("/user/maria/")
    expect(page.get_by_role("heading", name="maria")).to_be_visible()
    expect(page.locator(".follower-count")).to_have_text("2")
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    page.locator("article.post a.user-popup").first.hover()
    popover = page.locator(".popover")
    expect(popover).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    expect(popover).to_contain_text("Cornea surgeon. Coffee first.")
    expect(popover).to_contain_text("2 followers · 1 following")
    assert_styled(page)
    screenshot(page, "profile-popover", docs=True)

    page.get_by_role("link", name=re.compile(r"^Messages")).click()
    expect(page.locator(".message-body")).to_have_text("Can you present the case on Thursday?")
    screenshot(page, "messages")

    page.get_by_role("link", name="Explore", exact=True).click()
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    expect(page.locator("article.post")).to_have_count(4)
    screenshot(page, "explore")

    page.get_by_role("link", name="Organization", exact=True).click()
    card = page.locator(".card", has_text=centre.name)
    expect(card).to_contain_text("Heads: maria")
    expect(card.get_by_role("listitem")).to_have_count(unit_count)
    expect(page.locator(".card", has_text="Anaesthesiology")).to_contain_text("No units")
    assert_styled(page)
    screenshot(page, "organization")

    card.get_by_role("link", name=centre.name).click()
    expect(page.get_by_role("heading", name=centre.name)).to_be_visible()
    members = page.locator("table tbody tr")
    expect(members).to_have_count(2)
    expect(members.filter(has_text="Sam Ito")).to_contain_text(unit.name)
    screenshot(page, "department")

    assert page_problems.errors == []
