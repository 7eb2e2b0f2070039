"""Export my posts in a real browser: the profile's button starts it, the navigation follows it without a reload
(waiting, running, then a download link) and the link downloads the person's posts; nobody else sees any of it.

The task runs on the database backend (TASKS_BACKEND's default): the test runs `manage.py db_worker --batch` in
its own thread, against the test database that the live server shares, as tests/posts/test_exports.py does.
"""

import csv
import io
import json
import re
import zipfile

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from posts.models import Post, PostExport
from posts.services import post_export_start
from tests.factories import PostFactory, UserFactory
from tests.workers import run_database_worker

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (fails with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
POLL_INTERVAL_MS = 250
# app.js polls every `data-poll-interval` ms of <body> (5 s without it; no template sets it): set it before app.js
# reads it, so the navigation follows the export within a fraction of a second.
FAST_POLLING = f"""
new MutationObserver(function (changes, observer) {{
  if (!document.body) return;
  document.body.dataset.pollInterval = "{POLL_INTERVAL_MS}";
  observer.disconnect();
}}).observe(document, {{ childList: true, subtree: true }});
"""


@pytest.fixture(autouse=True)
def _exports_on_the_database_backend_in_a_temporary_folder(settings, tmp_path):
    settings.TASKS = DATABASE  # whatever TASKS_BACKEND says: the queued task waits for the test's worker
    settings.MEDIA_ROOT = tmp_path  # process-wide, so the live server writes and serves the file there too
    settings.POST_EXPORT_CHUNK = 2  # the real run reports progress mid-way too (40 %, 80 %)


def sign_in(page, username):
    page.add_init_script(FAST_POLLING)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hi, {username}!")).to_be_visible()
    assert page.evaluate("document.body.dataset.pollInterval") == str(POLL_INTERVAL_MS)


def next_poll(page) -> list:
    """The answer to the next notification poll `page` sends (`since` stays 0 for a person with no news)."""
    with page.expect_request(lambda request: "/notifications/?since=0" in request.url) as request:
        pass
    response = request.value.response()
    assert response is not None and response.ok
    return response.json()


def test_export_progress_shows_in_the_navigation_and_its_link_downloads_the_posts(
    new_page, page_problems, screenshot, live_server_gate, mailoutbox
):
    """The whole export from the browser: started on the profile, followed by the polling alone (the page is
    never reloaded) from "waiting" through "running" to a link, whose zip holds exactly the person's posts."""
    asha, bob = UserFactory(username="asha"), UserFactory(username="bob")
    PostFactory(author=asha, body="=1+1 looks like a formula")
    PostFactory(author=asha, body='Ünïcode ✓ and, a comma "quoted"')
    PostFactory.create_batch(3, author=asha)
    PostFactory(author=bob)  # someone else's: not in her file
    page, other = new_page(), new_page()
    sign_in(page, "asha")
    sign_in(other, "bob")
    status = page.locator("#export-status")
    expect(status).to_be_hidden()

    # 1. Her profile's button starts the export; the task waits for a worker, and the navigation says so.
    page.get_by_role("link", name="Profile", exact=True).click()
    expect(page.get_by_role("heading", name="asha", exact=True)).to_be_visible()
    page.get_by_role("button", name="Export my posts").click()
    expect(page.get_by_role("alert")).to_contain_text("Your export has started.")
    expect(status).to_be_visible()
    expect(status).to_have_text("Export: Waiting for a worker")
    page.evaluate("window.loadedBeforeTheWorkerRan = true")
    with live_server_gate.lock:  # the pages poll
        export = PostExport.objects.get(user=asha)
        assert export.status == "queued"
        assert DBTaskResult.objects.get(id=export.task_id).status == "READY"
    screenshot(page, "export-waiting")

    # 2. A worker reports its progress (as post_export_run does, every POST_EXPORT_CHUNK posts).
    with live_server_gate.lock:
        PostExport.objects.filter(pk=export.pk).update(status="running", progress=40, updated_at=timezone.now())
    expect(status).to_have_text("Export: Running 40 %")

    # 3. The worker runs the queued task to its end; the next poll turns the item into the download link.
    with live_server_gate.lock:
        run_database_worker()
        export.refresh_from_db()
        assert (export.status, export.progress) == ("done", 100)
        assert DBTaskResult.objects.get(id=export.task_id).status == "SUCCESSFUL"
    link = status.get_by_role("link", name="Your export is ready: download")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", f"/api/tasks/{export.pk}/download/")
    assert page.evaluate("window.loadedBeforeTheWorkerRan") is True  # same document: no reload happened
    screenshot(page, "export-ready")

    # 4. The link downloads a zip: posts.json and posts.csv list her posts, exactly, in order.
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"posts-asha-\d{8}-\d{6}\.zip", download.suggested_filename), download.suggested_filename
    assert download.failure() is None
    with zipfile.ZipFile(download.path()) as archive:
        assert sorted(archive.namelist()) == ["posts.csv", "posts.json"]
        data = json.loads(archive.read("posts.json").decode())
        rows = list(csv.DictReader(io.StringIO(archive.read("posts.csv").decode())))
    with live_server_gate.lock:
        expected = list(Post.objects.filter(author=asha).order_by("timestamp", "pk").values_list("pk", "body"))
    assert len(expected) == 5
    assert (data["username"], data["count"]) == ("asha", len(expected))
    assert [(post["id"], post["body"]) for post in data["posts"]] == expected
    assert [int(row["id"]) for row in rows] == [pk for pk, _ in expected]
    (mail,) = mailoutbox  # and by mail
    assert mail.to == ["asha@example.org"]

    # 5. A new export started elsewhere (another tab): this page's item follows it and no longer links to the
    #    old file.
    with live_server_gate.lock:
        post_export_start(user=asha)
    expect(status).to_have_text("Export: Waiting for a worker")
    expect(status.get_by_role("link")).to_have_attribute("href", "/user/asha/")

    # 6. Bob, signed in all along, is told nothing of it: his poll carries no export, his item stays hidden.
    assert next_poll(other) == []
    expect(other.locator("#export-status")).to_be_hidden()
    expect(other.locator("#export-status")).to_have_text("")
    assert page_problems.errors == []
