"""Accessibility in a real browser.

- axe-core on every main page (landing, register, sign in, feed, explore, profiles, edit profile, messages, send
  message, search, the organization, a department, a unit; a form with errors and an open hover card), signed out
  and in, in English and Hindi, 1280 and 375 px wide: no violation of any impact, with axe's default rules (WCAG A
  and AA, and best practices).
- The keyboard: a skip link to the main content, every control reached with Tab and given a visible focus ring,
  the navigation's toggle on a narrow screen, the hover card opened by focusing a username and closed with Escape,
  the post form and the language switcher used without a mouse.
- Screen readers: the live regions that announce the unread-messages badge, the export's progress and the post
  counter when they change.
- Hindi pages declare lang="hi" and draw their Devanagari with a Devanagari font (Debian's fonts-noto-core or
  fonts-lohit-deva, which .ci/run installs), shown in docs/screenshots/feed-hindi.png.

axe-core is the axe.min.js that the PyPI package axe-playwright-python ships (pinned in requirements-dev.txt):
these tests inject that local file into each page themselves, and fetch nothing from a CDN.
"""

import importlib.resources
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from organization.models import Designation
from posts.models import PostExport
from posts.services import messages_mark_read, post_export_start
from tests.browser.test_export import DATABASE, FAST_POLLING
from tests.browser.test_journey import BADGE_TIMEOUT_MS, FACTORY_PASSWORD, POPOVER_TIMEOUT_MS, centre_people
from tests.factories import FollowFactory, MessageFactory, PostFactory, UserFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (fails with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

AXE_JS = importlib.resources.files("axe_playwright_python") / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 375}
HEIGHT = 800
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
COUNTER_PAUSE_TIMEOUT_MS = 5_000  # app.js announces the counter 1 s after typing stops

# Every control the keyboard should reach: shown (not display: none or visibility: hidden; a visually hidden skip
# link counts), not disabled. Each gets data-a11y-control="<n>", to know which one has the focus after each Tab.
MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary,'
    + ' [tabindex]:not([tabindex="-1"])';
  const controls = [...document.querySelectorAll(selector)].filter(
    (el) => !el.disabled && el.checkVisibility({ visibilityProperty: true }));
  controls.forEach((el, i) => { el.dataset.a11yControl = String(i); });
  return controls.map((el) => el.outerHTML.slice(0, 160));
}"""
# The focused element: which control, its outline, and whether it shows on the screen (the skip link appears).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el), box = el.getBoundingClientRect();
  return {
    control: el.dataset.a11yControl ?? null, html: el.outerHTML.slice(0, 160), id: el.id,
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
    shown: box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
    inMain: !!el.closest("main"), inCard: !!el.closest(".popover"),
  };
}"""
# The hover card has faded in (axe would see its text half transparent before).
FADED_IN = """() => {
  const card = document.querySelector(".popover.show");
  return card !== null && getComputedStyle(card).opacity === "1";
}"""


@pytest.fixture(autouse=True)
def _exports_on_the_database_backend_in_a_temporary_folder(settings, tmp_path):
    """An export started here waits for a worker (none runs): the navigation shows it, as in test_export."""
    settings.TASKS = DATABASE
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people():
    """Maria, Sam and Lee in the reference organization, with posts (more than a page), follows and a message."""
    now = timezone.now()
    centre, unit, maria, sam = centre_people(now)
    lee = UserFactory(username="lee", full_name="Lee Novak", designation=Designation.objects.get(name="Professor"))
    centre.heads.add(maria)
    unit.heads.add(sam)
    for follower, followed in [(sam, maria), (sam, lee), (lee, maria), (maria, sam)]:
        FollowFactory(follower=follower, followed=followed)
    for n in range(30):  # pages of posts: the pagination is checked too
        PostFactory(author=(maria, lee)[n % 2], body=f"Ward round notes, day {n}.", timestamp=now - timedelta(hours=n))
    PostFactory(author=maria, body="ग्रैंड राउंड्स गुरुवार दोपहर 3 बजे, कमरा 2", timestamp=now - timedelta(minutes=20))
    PostFactory(author=maria, body="Grand rounds moved to Thursday 3 pm, room 2.", timestamp=now - timedelta(minutes=5))
    MessageFactory(sender=maria, recipient=sam, body="Can you present the case on Thursday?")
    return {"maria": maria, "sam": sam, "lee": lee, "department": centre, "unit": unit}


def open_page(new_page, live_server, *, language="en", width=WIDTHS["desktop"], bypass_csp=False):
    """A page in its own context, `width` px wide, whose pages come in `language` (Django's language cookie).

    It prefers reduced motion: Bootstrap's smooth scrolling then stops delaying the focused element's coming into
    view, which the keyboard tests check right after each Tab.
    """
    page = new_page(viewport={"width": width, "height": HEIGHT}, bypass_csp=bypass_csp, reduced_motion="reduce")
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    return page


def sign_in(page, username):
    """Through the sign-in page, whatever its language: by the fields' ids."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(FACTORY_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main h1")).to_contain_text(username)


# --- axe-core ------------------------------------------------------------------------------------------------


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now, with its default rules (WCAG A and AA, best practices)."""
    if page.evaluate("typeof window.axe") == "undefined":
        # An inline <script> with the local file: the Content-Security-Policy would block it, so the axe runs
        # are made in contexts with bypass_csp=True (the pages' own scripts are checked under the CSP elsewhere).
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations")


def describe(where: str, violations: list[dict]) -> list[str]:
    """Readable lines: the page, each rule with its impact and help, and for each element its selector and why."""
    lines = []
    for violation in violations:
        rule = f"[{violation['impact']}] {violation['id']}: {violation['help']}"
        lines.append(f"{where}: {rule} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            why = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {why}")
    return lines


class AxeAudit:
    """Runs axe-core on each page visited and keeps every violation, to report them all at the end."""

    def __init__(self, page, language: str):
        self.page, self.language, self.lines, self.counts, self.pages = page, language, [], {}, 0

    def check(self, label: str) -> None:
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        expect(page.locator("main h1")).to_be_visible()
        violations = axe_violations(page)
        self.pages += 1
        self.lines += describe(f"{label} ({page.url})", violations)
        for violation in violations:
            self.counts[violation["id"]] = self.counts.get(violation["id"], 0) + 1

    def visit(self, url: str, label: str | None = None) -> None:
        self.page.goto(url)
        self.check(label or url)

    def assert_clean(self) -> None:
        assert self.pages > 0
        assert not self.lines, f"axe-core violations (pages per rule: {self.counts}):\n" + "\n".join(self.lines)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("language", ["en", "hi"])
def test_no_axe_violations_on_the_main_pages(
    new_page, live_server, live_server_gate, page_problems, people, language, width
):
    department = f"/organization/department/{people['department'].pk}/"
    unit = f"/organization/unit/{people['unit'].pk}/"
    with live_server_gate.lock:
        post_export_start(user=people["sam"])  # the navigation shows the export: checked on every page signed in
    page = open_page(new_page, live_server, language=language, width=width, bypass_csp=True)
    audit = AxeAudit(page, language)

    # Signed out.
    for url in ("/", "/accounts/register/", "/accounts/login/", "/explore/", "/explore/?page=2", "/user/maria/"):
        audit.visit(url)
    audit.visit("/search/?q=Thursday")
    expect(page.locator("article.post")).not_to_have_count(0)
    for url in ("/organization/", department, unit):
        audit.visit(url)
    page.goto("/accounts/register/")
    page.locator("main form button[type=submit]").click()  # empty: every field says what is missing
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    audit.check("register, with errors")

    # Signed in: the badge (an unread message) and the export show in the navigation.
    sign_in(page, "sam")
    expect(page.locator("#message-count")).to_have_text("1", timeout=BADGE_TIMEOUT_MS)
    expect(page.locator("#export-status")).not_to_have_class(re.compile(r"\bd-none\b"))  # folded away on a phone
    audit.check("feed")
    for url in ("/explore/", "/user/maria/", "/user/sam/", "/edit_profile/", "/send_message/maria/"):
        audit.visit(url)
    audit.visit("/search/?q=Thursday")
    for url in ("/organization/", department, unit, "/messages/"):
        audit.visit(url)
    page.goto("/user/maria/")
    page.locator("article.post a.user-popup").first.hover()
    expect(page.locator(".popover")).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    page.wait_for_function(FADED_IN)
    audit.check("profile with a hover card")

    audit.assert_clean()
    assert page_problems.errors == []


# --- The keyboard -----------------------------------------------------------------------------------------------


def tab_through(page, *, limit: int = 250) -> list[dict]:
    """Press Tab until the focus comes round to where it started (out of the page and back from the top, as a
    browser does); what had the focus, in order, from the first control reached."""
    stops, seen, outside = [], set(), 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:  # past the last control: the next Tab starts from the top
            outside += 1
            assert outside < 3, f"Tab does not come back into the page: {[stop['html'] for stop in stops[-5:]]}"
            continue
        key = focused["control"] or focused["html"]
        if key in seen:
            return stops
        seen.add(key)
        stops.append(focused)
    raise AssertionError(f"Tab never came round in {limit} presses: {[stop['html'] for stop in stops[-5:]]}")


def tab_to(page, selector: str, *, limit: int = 120) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def assert_every_control_reached_with_a_focus_ring(page, label: str) -> None:
    controls = page.evaluate(MARK_CONTROLS)
    stops = tab_through(page)
    reached = {stop["control"] for stop in stops}
    missed = [html for i, html in enumerate(controls) if str(i) not in reached]
    assert not missed, f"{label}: Tab never reaches {missed}"
    no_ring = [s["html"] for s in stops if s["outlineStyle"] in ("none", "hidden") or s["outlineWidth"] < 2]
    assert not no_ring, f"{label}: no visible focus ring on {no_ring}"
    hidden = [stop["html"] for stop in stops if not stop["shown"]]
    assert not hidden, f"{label}: focused but not on the screen: {hidden}"


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_skip_link_and_every_control_reached_with_a_visible_focus_ring(
    new_page, live_server, page_problems, people, width
):
    page = open_page(new_page, live_server, width=width)
    for url in ("/", "/accounts/register/"):
        page.goto(url)
        assert_every_control_reached_with_a_focus_ring(page, f"signed out, {url}")
    sign_in(page, "sam")
    for url in ("/", "/user/maria/", "/organization/"):
        page.goto(url)
        assert_every_control_reached_with_a_focus_ring(page, f"signed in, {url}")

    # The skip link: the first Tab shows it, Enter moves the focus to the main content, the next Tab stays there.
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Say something")).to_be_focused()  # the post form, the first control of the feed

    if width < 768:
        # On a phone the navigation is folded behind its toggle: Enter opens it, and Tab goes on into its links.
        page.goto("/")
        home = page.get_by_role("link", name="Home")
        expect(home).to_be_hidden()
        tab_to(page, "button.navbar-toggler")
        page.keyboard.press("Enter")
        expect(page.locator("button.navbar-toggler")).to_have_attribute("aria-expanded", "true")
        expect(home).to_be_visible()
        page.keyboard.press("Tab")
        expect(home).to_be_focused()
        assert_every_control_reached_with_a_focus_ring(page, "signed in, the navigation opened")
    assert page_problems.errors == []


def test_hover_card_opens_on_keyboard_focus_and_closes_with_escape(new_page, live_server, page_problems, people):
    page = open_page(new_page, live_server)
    sign_in(page, "sam")
    card = page.locator(".popover")
    tab_to(page, "article.post a.user-popup")
    name = page.locator("article.post a.user-popup").first
    expect(name).to_be_focused()
    expect(card).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    expect(card).to_have_attribute("role", "dialog")
    expect(card).to_have_attribute("aria-label", "maria")
    expect(name).to_have_attribute("aria-describedby", card.get_attribute("id"))

    # The card comes right after the name: Tab goes through its links and buttons, and leaving it closes it.
    page.keyboard.press("Tab")
    expect(card.get_by_role("link", name="maria")).to_be_focused()
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Unfollow")).to_be_focused()  # usable: sam follows maria
    page.keyboard.press("Tab")
    expect(card.get_by_role("link", name="Send message")).to_be_focused()
    page.wait_for_timeout(400)  # past the leave delay (0.2 s): the focus in the card keeps it open
    expect(card).to_be_visible()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(name).to_be_focused()  # back on the name, the card still open
    expect(card).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(card).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    assert page.evaluate(FOCUSED)["inCard"] is False

    # Escape closes it, from the name or from inside the card (the focus then goes back to the name).
    page.keyboard.press("Shift+Tab")
    expect(name).to_be_focused()
    expect(card).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    page.keyboard.press("Escape")
    expect(card).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    expect(name).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(card).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    page.keyboard.press("Tab")
    expect(card.get_by_role("link", name="maria")).to_be_focused()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    expect(name).to_be_focused()
    # Escape also closes a card opened by the pointer, which stays over the name.
    name.hover()
    expect(card).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    page.keyboard.press("Escape")
    expect(card).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)
    assert page_problems.errors == []


def test_post_form_and_language_switcher_without_a_mouse(
    new_page, live_server, live_server_gate, page_problems, screenshot, people
):
    page = open_page(new_page, live_server)
    sign_in(page, "sam")

    # The post form: skip to the main content, type, Tab to "Post", Enter.
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    body = page.get_by_label("Say something")
    expect(body).to_be_focused()
    counter = page.locator("#id_body-counter")
    expect(body).to_have_attribute("aria-describedby", re.compile(r"(^| )id_body-counter( |$)"))
    page.keyboard.type("Typed, never clicked")
    expect(counter).to_have_text("120 characters left")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Your post is live.")
    with live_server_gate.lock:
        assert people["sam"].posts.get().body == "Typed, never clicked"

    # The language switcher: Tab to the list, the arrow key picks Hindi, Tab to its button, Enter.
    tab_to(page, "#nav-language")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#nav-language")).to_have_value("hi")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # nothing happens before the button
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change language")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", name="नमस्ते, sam!")).to_be_visible()
    with live_server_gate.lock:
        people["sam"].refresh_from_db()
        assert people["sam"].language == "hi"
    assert page_problems.errors == []


# --- Screen readers: live regions ----------------------------------------------------------------------------


def test_live_regions_announce_the_badge_the_export_and_the_counter(
    new_page, live_server, live_server_gate, page_problems, people
):
    page = open_page(new_page, live_server)
    page.add_init_script(FAST_POLLING)
    sign_in(page, "sam")
    badge, status = page.locator("#message-count"), page.locator("#nav-status")
    messages = page.get_by_role("link", name=re.compile(r"^Messages"))

    # The navigation's live region is there from the start, empty, and never hidden from screen readers.
    expect(status).to_have_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_attribute("aria-atomic", "true")
    # The first poll shows how things stand (one unread message) without announcing it: that is not news.
    expect(badge).to_have_text("1", timeout=BADGE_TIMEOUT_MS)
    expect(badge).to_have_attribute("aria-hidden", "true")  # the number alone: screen readers get words
    expect(messages).to_have_accessible_name("Messages 1 unread message")
    expect(status).to_have_text("")

    # A new message: the badge and the link's name follow, and the region says it.
    with live_server_gate.lock:
        MessageFactory(sender=people["maria"], recipient=people["sam"], body="And the slides?")
    expect(status).to_have_text("2 unread messages", timeout=BADGE_TIMEOUT_MS)
    expect(badge).to_have_text("2")
    expect(messages).to_have_accessible_name("Messages 2 unread messages")

    # The export's progress, as it changes.
    with live_server_gate.lock:
        export = post_export_start(user=people["sam"])
    expect(status).to_have_text("Export: Waiting for a worker", timeout=BADGE_TIMEOUT_MS)
    expect(page.locator("#export-status")).to_have_text("Export: Waiting for a worker")
    with live_server_gate.lock:
        PostExport.objects.filter(pk=export.pk).update(status="running", progress=40, updated_at=timezone.now())
    expect(status).to_have_text("Export: Running 40 %", timeout=BADGE_TIMEOUT_MS)

    # Read elsewhere (another tab): the badge goes, and the region announces nothing for it.
    with live_server_gate.lock:
        messages_mark_read(user=people["sam"])
    expect(badge).to_be_hidden(timeout=BADGE_TIMEOUT_MS)
    expect(messages).to_have_accessible_name("Messages")
    expect(status).to_have_text("Export: Running 40 %")

    # The post counter: it describes the field, and its own live region says it once typing pauses.
    counter_status = page.locator('[data-counter-status-for="id_body"]')
    expect(counter_status).to_have_role("status")
    expect(counter_status).to_have_text("")
    page.get_by_label("Say something").press_sequentially("Hello")
    expect(page.locator("#id_body-counter")).to_have_text("135 characters left")
    expect(counter_status).to_have_text("135 characters left", timeout=COUNTER_PAUSE_TIMEOUT_MS)
    assert page_problems.errors == []


# --- Hindi -----------------------------------------------------------------------------------------------------


def rendered_fonts(page, locator) -> dict[str, int]:
    """{font family: glyphs drawn} for the text of `locator`'s element, as Chromium rendered it (DevTools' "Rendered
    Fonts", through the DevTools protocol)."""
    locator.evaluate("(el) => el.setAttribute('data-font-probe', '')")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-font-probe]"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
        locator.evaluate("(el) => el.removeAttribute('data-font-probe')")
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def test_hindi_pages_declare_their_language_and_use_a_devanagari_font(
    new_page, live_server, page_problems, screenshot, people
):
    page = open_page(new_page, live_server, language="hi")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    sign_in(page, "sam")
    expect(page.get_by_role("heading", name="नमस्ते, sam!")).to_be_visible()
    expect(page.locator("#message-count")).to_have_text("1", timeout=BADGE_TIMEOUT_MS)
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    font_family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font_family.startswith('"Noto Sans Devanagari", "Noto Sans", "Lohit Devanagari"'), font_family

    # What was drawn: the Devanagari letters of the navigation and of a post come from a Devanagari font.
    post = page.locator("article.post", has_text="ग्रैंड राउंड्स")
    expect(post).to_be_visible()
    for element in (page.locator("nav .nav-link").first, post.locator(".post-body")):
        text = element.inner_text()
        assert DEVANAGARI.search(text), text
        fonts = rendered_fonts(page, element)
        assert any("Devanagari" in family and count > 0 for family, count in fonts.items()), (
            f"{text!r} drawn with {fonts}: is a Devanagari font installed? "
            "(Debian: apt-get install fonts-noto-core fonts-lohit-deva)"
        )
    screenshot(page, "feed-hindi", docs=True)
    assert page_problems.errors == []
