"""The Content-Security-Policy in a real browser: every main page carries it and Chromium reports no violation.

The policy (project/settings.py) lets through no inline script or style. A page breaks it where a template (ours
or a library's) has a <script> with code, a <style>, a style="" or on…="" attribute, or where a script writes
one; Chromium then refuses it, logs a message naming the Content Security Policy directive it violates to the
console and fires a `securitypolicyviolation` event. Both are collected on every page, with any request to another
site (every asset is the site's own): the
site signed out and signed in (the hover card shown), the admin (index, changelist, change forms with their
autocompletes, history, import with its preview, export), Swagger UI and ReDoc once they have rendered, and DRF's
browsable API (its sign-in page, the root, a list with its filters and a detail with its forms).
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import (
    DepartmentFactory,
    FollowFactory,
    MessageFactory,
    PostFactory,
    UnitFactory,
    UserFactory,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (fails with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
ADMIN_PASSWORD = "admin-passphrase-for-the-csp-test"
POPOVER_TIMEOUT_MS = 3_000  # hover delay 0.5 s + one fetch
RENDER_TIMEOUT_MS = 20_000  # Swagger UI and ReDoc fetch the schema and render it: slow on a busy 2-core machine
DEPARTMENTS_CSV = Path(__file__).resolve().parents[1] / "admin_import" / "files" / "departments.csv"

# Installed before any of the page's own scripts: each violation the page reports, as an event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} in ${event.sourceFile || "the page"}` +
    `:${event.lineNumber} ${event.sample ? JSON.stringify(event.sample) : ""}`
  );
});
"""


class CspWatch:
    """The CSP violations of one page (console messages and events), the responses without the header and the
    requests to other sites."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("request", self._request)

    def _request(self, request) -> None:
        """Every asset is the site's own: a request elsewhere (a CDN, a font, a badge) is a problem too."""
        url = urlsplit(request.url)
        if url.scheme in ("http", "https") and url.hostname not in ("localhost", "127.0.0.1"):
            self.problems.append(f"a request from {self.page.url} to {request.url}")

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"console on {self.page.url}: {message.text}")

    def visit(self, url: str):
        """Go to `url` (200 expected) and check the response's policy."""
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        self.check_header(url, response.headers.get("content-security-policy"))
        return response

    def check_header(self, url: str, policy: str | None) -> None:
        if not policy:
            self.problems.append(f"no Content-Security-Policy header on {url}")
        elif "'unsafe-" in policy or "default-src 'self'" not in policy:
            self.problems.append(f"a weakened policy on {url}: {policy}")

    def collect(self) -> None:
        """The violation events of the page shown now (read before leaving it: they go with the page)."""
        events = self.page.evaluate("window.__cspViolations.splice(0)")
        self.problems += [f"event on {self.page.url}: {event}" for event in events]


def assert_no_violations(*watches: CspWatch) -> None:
    for watch in watches:
        watch.collect()
    problems = [problem for watch in watches for problem in watch.problems]
    assert problems == [], "\n".join(problems)


def sign_in(page, username: str, password: str = FACTORY_PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_site_pages_signed_out_and_in(new_page, page_problems):
    now = timezone.now()
    department = DepartmentFactory(name="Ophthalmology")
    unit = UnitFactory(name="Cornea Unit", department=department)
    maria = UserFactory(username="maria", about_me="Cornea surgeon.", department=department, unit=unit)
    sam = UserFactory(username="sam", department=department)
    FollowFactory(follower=sam, followed=maria)
    PostFactory(author=maria, body="New slit lamp installed today.", timestamp=now - timedelta(minutes=12))
    PostFactory(author=sam, body="Thanks for covering the night shift!", timestamp=now - timedelta(minutes=40))
    MessageFactory(sender=maria, recipient=sam, body="Can you present the case?", timestamp=now - timedelta(minutes=8))
    page = new_page()
    watch = CspWatch(page)

    # Signed out.
    watch.visit("/")
    expect(page.get_by_role("heading", name="People, their posts and their organization")).to_be_visible()
    watch.collect()
    watch.visit("/accounts/register/")
    expect(page.get_by_role("heading", name="Register")).to_be_visible()
    watch.collect()
    for url, heading in [
        ("/explore/", "Explore"),
        ("/organization/", "Organization"),
        (f"/organization/department/{department.pk}/", department.name),
        (f"/organization/unit/{unit.pk}/", unit.name),
        ("/user/maria/", "maria"),
    ]:
        watch.visit(url)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        watch.collect()
    watch.visit("/search/?q=slit")
    expect(page.locator("article.post")).to_have_count(1)
    watch.collect()

    # Signing in, then the pages of a signed-in person.
    watch.visit("/accounts/login/")
    sign_in(page, "sam")
    expect(page.get_by_role("heading", name="Hi, sam!")).to_be_visible()
    expect(page.locator("#message-count")).to_have_text("1")  # app.js's first notification poll
    watch.collect()
    for url, heading in [
        ("/explore/", "Explore"),
        ("/edit_profile/", "Edit profile"),
        ("/send_message/maria/", "Message to maria"),
        ("/organization/", "Organization"),
        (f"/organization/department/{department.pk}/", department.name),
        (f"/organization/unit/{unit.pk}/", unit.name),
    ]:
        watch.visit(url)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        watch.collect()
    watch.visit("/search/?q=night")
    expect(page.locator("article.post")).to_have_count(1)
    watch.collect()
    watch.visit("/messages/")
    expect(page.locator(".message-body")).to_have_text("Can you present the case?")
    watch.collect()

    # A profile with its hover card (Bootstrap's popover, placed by Popper) shown.
    watch.visit("/user/maria/")
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    page.locator("article.post a.user-popup").first.hover()
    popover = page.locator(".popover")
    expect(popover).to_be_visible(timeout=POPOVER_TIMEOUT_MS)
    expect(popover).to_contain_text("Cornea surgeon.")
    watch.collect()
    page.get_by_role("link", name="Explore", exact=True).hover()  # the card hides again
    expect(popover).to_be_hidden(timeout=POPOVER_TIMEOUT_MS)

    assert_no_violations(watch)
    assert page_problems.errors == []


def test_admin_pages(new_page, page_problems):
    User.objects.create_superuser(username="root", email="root@example.org", password=ADMIN_PASSWORD)
    department = DepartmentFactory(name="Ophthalmology")
    UnitFactory(name="Cornea Unit", department=department)
    head = UserFactory(username="maria", department=department)
    department.heads.add(head)
    DepartmentFactory(name="Cardiology", abbr="Cardiac")  # updated by the imported file: the preview shows the change
    page = new_page()
    watch = CspWatch(page)

    watch.visit("/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    watch.collect()

    base = "/admin/organization/department/"
    watch.visit(base)
    expect(page.locator("#result_list")).to_contain_text("Ophthalmology")
    expect(page.get_by_role("link", name="Import")).to_be_visible()
    watch.collect()

    # A change form with an inline and a many-to-many autocomplete (Select2, on jQuery): open its dropdown.
    watch.visit(f"{base}{department.pk}/change/")
    expect(page.locator("#id_name")).to_have_value("Ophthalmology")
    page.locator(".field-heads .select2-selection").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    watch.collect()

    watch.visit(f"/admin/accounts/user/{head.pk}/change/")
    expect(page.locator("#id_username")).to_have_value("maria")
    page.locator(".field-department .select2-selection").click()
    expect(page.locator(".select2-results__option", has_text="Ophthalmology")).to_be_visible()
    page.keyboard.press("Escape")
    watch.collect()

    watch.visit(f"{base}{department.pk}/history/")
    expect(page.locator("#change-history")).to_be_visible()
    expect(page.locator("p.paginator")).to_have_css("border-top-width", "0px")  # admin-extras/admin.css
    watch.collect()

    # Import: the form, then a file's preview (templates/admin/import_export/import_preview.html).
    watch.visit(f"{base}import/")
    page.locator("#id_import_file").set_input_files(DEPARTMENTS_CSV)
    page.locator("#id_format").select_option(label="csv")
    page.locator("input[type=submit]").click()
    expect(page.locator("input[type=submit][value='Confirm import']")).to_be_visible()
    expect(page.locator("table.import-preview tr.update del")).to_have_text("ac")
    expect(page.locator("table.import-preview tr.update ins")).to_have_css("background-color", "rgb(230, 255, 230)")
    watch.collect()

    # Export: the "Select all" box (its onchange attribute is now admin-extras/export-select-all.js).
    watch.visit(f"{base}export/")
    toggle, fields = page.locator("input.select-toggle"), page.locator(".selectable-field-export-row input")
    expect(fields.first).to_be_checked()
    toggle.uncheck()
    assert fields.count() > 1 and all(not box.is_checked() for box in fields.all())
    toggle.check()
    assert all(box.is_checked() for box in fields.all())
    expect(page.locator("label[for='select-all-toggle']")).to_have_css("font-weight", "700")
    watch.collect()

    assert_no_violations(watch)
    assert page_problems.errors == []


def test_swagger_ui_and_redoc(new_page, page_problems):
    page = new_page()
    watch = CspWatch(page)

    # Swagger UI: drf-spectacular's split view, its start-up script a file of its own.
    watch.visit("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Microblog API", timeout=RENDER_TIMEOUT_MS)
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").first.click()  # an operation opened: its parameters and responses
    expect(operation.locator(".responses-wrapper")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # api-docs/swagger-ui.css
    watch.collect()

    # ReDoc: its styles in <style> elements carrying the request's nonce, its search in a blob: worker.
    response = watch.visit("/api/redoc/")
    policy = response.headers["content-security-policy"]
    assert re.search(r"style-src 'self' 'nonce-[^']+'", policy), policy
    assert "worker-src 'self' blob:" in policy, policy
    expect(page.get_by_role("heading", name=re.compile("^Microblog API"))).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    styled = "[...document.querySelectorAll('style')].filter((s) => s.sheet && s.sheet.cssRules.length).length"
    assert page.evaluate(styled) > 0  # ReDoc's styles applied
    expect(page.locator("img[alt='redocly logo']")).to_be_hidden()  # never loaded from cdn.redoc.ly
    expect(page.get_by_role("link", name="API docs by Redocly")).to_be_attached()
    search = page.get_by_placeholder("Search...")
    search.fill("posts")
    expect(page.locator("[data-role='search:results'] li, .search-results li").first).to_be_visible()
    watch.collect()

    assert_no_violations(watch)
    assert page_problems.errors == []


def test_browsable_api(new_page, page_problems):
    person = UserFactory(username="sam")
    post = PostFactory(author=person, body="Hello from the browsable API")
    DepartmentFactory(name="Ophthalmology")
    page = new_page()
    watch = CspWatch(page)

    # DRF's own sign-in page (templates/rest_framework/login_base.html), which leads back to the API.
    watch.visit("/api-auth/login/?next=/api/")
    expect(page.locator(".drf-login-well")).to_have_css("width", "320px")  # browsable-api/browsable-api.css
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Api Root")).to_be_visible()
    watch.collect()

    watch.visit("/api/")
    expect(page.get_by_role("heading", name="Api Root")).to_be_visible()
    watch.collect()

    # A list with its filters (search and django-filter's form, in a Bootstrap 3 modal) and the POST forms.
    watch.visit("/api/posts/")
    expect(page.get_by_role("heading", name="Post List")).to_be_visible()
    filters = page.get_by_role("button", name="Filters")
    expect(filters).to_have_css("float", "right")  # its style attribute cut, its rule in browsable-api.css
    filters.click()
    modal = page.locator("#filtersModal")
    expect(modal).to_be_visible()
    expect(modal.locator("input.drf-search-term")).to_have_css("width", "350px")
    modal.locator("button.close").click()
    expect(modal).to_be_hidden()
    raw_data = page.get_by_role("link", name="Raw data")  # a tab only beside an HTML form (form parsers)
    if raw_data.count():
        raw_data.first.click()
    expect(page.locator("#post-generic-content-form textarea")).to_be_visible()
    watch.collect()

    # A detail with its PATCH and DELETE forms (the author's own post).
    watch.visit(f"/api/posts/{post.pk}/")
    expect(page.get_by_role("button", name="DELETE")).to_be_visible()
    watch.collect()

    watch.visit("/api/departments/")
    expect(page.get_by_role("heading", name=re.compile("^Department List"))).to_be_visible()
    watch.collect()

    assert_no_violations(watch)
    assert page_problems.errors == []
