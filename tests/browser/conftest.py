"""Real-browser tests: headless Chromium driven by Playwright's sync API against pytest-django's live server.

Chromium comes from Debian (`apt-get install chromium` → /usr/bin/chromium); Playwright never downloads one.
Without Chromium or the playwright package the tests are skipped with the reason, unless REQUIRE_BROWSER=1
(as in CI), which turns the skip into a failure.

Screenshots go to test-artifacts/screenshots/ (gitignored); a failing test also leaves one per open page there.
"""

import contextlib
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread; Django's ORM in that thread (fixtures,
# database flushes, assertions) would otherwise raise SynchronousOnlyOperation. Set before any database use.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1280, "height": 800}

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"

# Generous defaults for a busy 2-core machine; tests pass tighter timeouts where the timing is the point.
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 10_000


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: real-browser test (headless Chromium + Playwright); REQUIRE_BROWSER=1 forbids skipping"
    )


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test, whether or not its module says so."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright package is not installed ({exc}); pip install -r requirements-dev.txt"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}; install it with `apt-get install chromium` (never `playwright install`)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module (contexts keep the tests apart)."""
    reason = _browser_unavailable()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason} (set REQUIRE_BROWSER=1 to make this an error)")

    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageProblems:
    """What went wrong in the pages of a test that no assertion looked at: JS errors and failed requests."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"JS error on {page.url}: {exc}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._check_response)

    def _request_failed(self, request) -> None:
        # Leaving a page cancels its pending requests (a notification poll, a hover card): that is no fault.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _check_response(self, response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"HTTP {response.status} for {response.request.method} {response.url}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


class ServerGate:
    """Wraps the live server's WSGI application (once per session) to keep browser tests from crossing.

    - Each test's browser contexts send an `X-Browser-Test` header with the test's token; a request with another
      token (a last notification poll of a test that has ended, arriving after its contexts closed) is answered
      503 without touching the database, which is being flushed or seeded for the next test by then.
    - With in-memory SQLite (the default settings), the server's threads and the test share one SQLite
      connection, and two requests at once — a page load and another tab's 5-second notification poll — can
      fail with "database table is locked" or tangle the connection's transaction state. There `lock` lets one
      request at a time run Django, and tests hold it around ORM calls made while their pages are open.
      PostgreSQL and MariaDB give each thread its own connection: requests run concurrently, `lock` does nothing.
    """

    HEADER = "X-Browser-Test"

    def __init__(self, app, *, serialize: bool):
        self.app = app
        self.token: str | None = None
        self.lock = threading.Lock() if serialize else contextlib.nullcontext()

    def __call__(self, environ, start_response):
        with self.lock:
            if self.token is None or environ.get("HTTP_X_BROWSER_TEST") != self.token:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"This request belongs to a browser test that has ended."]
            return self.app(environ, start_response)

    @contextlib.contextmanager
    def open_for_one_test(self) -> Iterator[str]:
        with self.lock:
            self.token = uuid.uuid4().hex
        try:
            yield self.token
        finally:
            with self.lock:  # waits for a request still running
                self.token = None


@pytest.fixture
def live_server_gate(transactional_db, live_server) -> Iterator[ServerGate]:
    """The live server's `ServerGate`, open to this test's browser contexts only while the test runs."""
    httpd = live_server.thread.httpd
    gate = httpd.get_app()
    if not isinstance(gate, ServerGate):
        gate = ServerGate(httpd.get_app(), serialize=bool(live_server.thread.connections_override))
        httpd.set_app(gate)
    with gate.open_for_one_test():
        yield gate


@pytest.fixture
def new_page(browser, live_server, live_server_gate, page_problems, request) -> Iterator[Callable]:
    """new_page(**context_options) → a page in a fresh browser context (its own cookies: one per person) on the
    live server; context_options (Playwright's, e.g. viewport) override the defaults.

    Relative URLs go to the live server. JS errors and failed requests are collected in `page_problems`.
    When the test fails, each page's screenshot is saved as failure-<test>-<n>.png.
    """
    contexts = []

    def make(**context_options):
        options = {"base_url": live_server.url, "viewport": VIEWPORT, "locale": "en-GB", **context_options}
        context = browser.new_context(**options, extra_http_headers={ServerGate.HEADER: live_server_gate.token})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page_problems.watch(page)
        return page

    yield make

    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    for n, context in enumerate(contexts, start=1):
        if failed:
            for page in context.pages:
                name = re.sub(r"[^\w.-]+", "_", request.node.name)
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                try:
                    page.screenshot(path=SCREENSHOTS / f"failure-{name}-{n}.png")
                except Exception as exc:  # a crashed page must not hide the test's own failure
                    print(f"could not save a failure screenshot: {exc}")
        context.close()


@pytest.fixture
def screenshot() -> Callable:
    """screenshot(page, name, docs=False): save the viewport to test-artifacts/screenshots/<name>.png.

    With docs=True and UPDATE_DOCS_SCREENSHOTS=1 in the environment, also copy it to docs/screenshots/ (the
    README's pictures are only rewritten on request, so test runs leave the work tree clean).
    """

    def save(page, name: str, *, docs: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, animations="disabled", caret="hide")
        if docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
        return path

    return save
