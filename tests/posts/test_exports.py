"""Export my posts: a background task with progress, one at a time, its file for its owner only, mailed too."""

import csv
import io
import json
import os
import signal
import zipfile

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from posts import exports, services
from posts.models import PostExport
from tests.factories import PostFactory, UserFactory
from tests.pages.helpers import sign_in
from tests.workers import WORKER_SIGNALS, run_database_worker

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POST_EXPORT_CHUNK = 3  # several progress updates for a handful of posts


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def author(db):
    person = UserFactory(username="asha", email="asha@example.org")
    PostFactory(author=person, body="=1+1 looks like a formula")
    PostFactory(author=person, body='Ünïcode ✓ and, a comma "quoted"')
    PostFactory.create_batch(5, author=person)
    PostFactory()  # someone else's
    return person


def start(client_for, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(person).post("/api/users/me/export/")
    return response


def archive_of(response) -> dict:
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {name: zf.read(name).decode() for name in zf.namelist()}


@pytest.mark.django_db
def test_export_runs_and_its_owner_downloads_json_and_csv_and_gets_it_by_mail(
    immediate, author, client_for, django_capture_on_commit_callbacks, mailoutbox
):
    response = start(client_for, author, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    task = client_for(author).get(f"/api/tasks/{response.json()['id']}/").json()
    assert (task["status"], task["progress"], task["message"]) == ("done", 100, "")
    download = client_for(author).get(task["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    files = archive_of(download)
    # Asking for the schema's type of the file (as a generated client does) gets it too, not a 406.
    asked = client_for(author).get(task["download"], HTTP_ACCEPT="application/zip")
    assert asked.status_code == 200 and archive_of(asked) == files
    data = json.loads(files["posts.json"])
    bodies = sorted(p["body"] for p in data["posts"])
    assert bodies == sorted(author.posts.values_list("body", flat=True)) and data["count"] == 7
    rows = list(csv.DictReader(io.StringIO(files["posts.csv"])))
    assert len(rows) == 7
    assert "'=1+1 looks like a formula" in [row["body"] for row in rows]  # a spreadsheet will not run it
    assert 'Ünïcode ✓ and, a comma "quoted"' in [row["body"] for row in rows]
    (mail,) = mailoutbox
    assert mail.to == ["asha@example.org"]
    ((name, content, mimetype),) = mail.attachments
    assert name.endswith(".zip") and mimetype == "application/zip" and zipfile.is_zipfile(io.BytesIO(content))


@pytest.mark.django_db
def test_progress_is_reported_while_the_export_runs(immediate, author, monkeypatch):
    seen = []
    update = exports._update

    def recording(export, **fields):
        update(export, **fields)
        seen.append(PostExport.objects.get(pk=export.pk).progress)

    monkeypatch.setattr(exports, "_update", recording)
    export = services.post_export_start(user=author)
    exports.post_export_run(export_id=str(export.pk))
    assert seen[0] == 0 and seen[-1] == 100
    assert any(0 < percent < 100 for percent in seen)  # 7 posts in chunks of 3: 42 %, 85 %
    assert seen == sorted(seen)


@pytest.mark.django_db
def test_nobody_else_sees_or_downloads_an_export(immediate, author, client_for, django_capture_on_commit_callbacks):
    task_id = start(client_for, author, django_capture_on_commit_callbacks).json()["id"]
    other = client_for(UserFactory())
    assert other.get(f"/api/tasks/{task_id}/").status_code == 404
    assert other.get(f"/api/tasks/{task_id}/download/").status_code == 404
    refused = other.get(f"/api/tasks/{task_id}/download/", HTTP_ACCEPT="application/zip")
    assert refused.status_code == 404 and refused["Content-Type"] == "application/json"
    assert refused.json() == {"detail": "Not found."}
    assert Client().get(f"/api/tasks/{task_id}/").status_code == 401


@pytest.mark.django_db
def test_a_second_export_while_one_waits_is_a_409_and_enqueues_nothing(
    settings, author, client_for, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE  # no worker runs: the first export waits
    first = start(client_for, author, django_capture_on_commit_callbacks)
    assert first.status_code == 202 and first.json()["status"] == "queued"
    enqueued = DBTaskResult.objects.count()
    second = start(client_for, author, django_capture_on_commit_callbacks)
    assert second.status_code == 409
    assert second.json() == {"detail": str(services.ExportInProgress.message), "task": first.json()["id"]}
    assert DBTaskResult.objects.count() == enqueued == 1
    assert PostExport.objects.count() == 1


@pytest.mark.django_db
def test_a_failure_inside_the_task_leaves_a_failed_status_with_its_reason(
    immediate, author, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(text):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "_csv_safe", broken)
    task_id = start(client_for, author, django_capture_on_commit_callbacks).json()["id"]
    task = client_for(author).get(f"/api/tasks/{task_id}/").json()
    assert task["status"] == "failed" and "disk full" in task["message"] and task["download"] is None
    monkeypatch.undo()
    assert start(client_for, author, django_capture_on_commit_callbacks).status_code == 202  # a new one may start


@pytest.mark.django_db
def test_profile_page_starts_an_export_and_the_navigation_feed_reports_it(
    immediate, author, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), author)
    assert 'action="/export/"' in client.get(f"/user/{author.username}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/export/", follow=True)
    assert "Your export has started" in response.content.decode()
    (item,) = [n for n in client.get("/notifications/").json() if n["name"] == "post_export"]
    export = PostExport.objects.get()
    assert item["data"]["status"] == "done" and item["data"]["progress"] == 100
    assert item["data"]["download"] == f"/api/tasks/{export.pk}/download/"
    later = client.get(f"/notifications/?since={item['timestamp']}").json()
    assert [n for n in later if n["name"] == "post_export"] == []  # nothing new since


@pytest.mark.django_db(transaction=True)
def test_a_real_database_worker_runs_an_enqueued_export_to_completion(
    settings, author, client_for, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE
    task_id = start(client_for, author, django_capture_on_commit_callbacks).json()["id"]
    assert PostExport.objects.get(pk=task_id).status == "queued"
    handlers = [signal.getsignal(signum) for signum in WORKER_SIGNALS]
    run_database_worker()
    assert [signal.getsignal(signum) for signum in WORKER_SIGNALS] == handlers  # Ctrl-C still stops pytest
    export = PostExport.objects.get(pk=task_id)
    assert (export.status, export.progress) == ("done", 100)
    assert DBTaskResult.objects.get(id=export.task_id).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_a_real_rq_worker_on_redis_runs_an_enqueued_export_to_completion(
    settings, author, client_for, django_capture_on_commit_callbacks, redis_at
):
    redis_at(REDIS_URL)
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = RQ
    task_id = start(client_for, author, django_capture_on_commit_callbacks).json()["id"]
    queue = django_rq.get_queue("default", job_class=Job)
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    export = PostExport.objects.get(pk=task_id)
    assert (export.status, export.progress) == ("done", 100)


@pytest.mark.django_db
def test_the_navigation_forgets_an_export_finished_more_than_a_day_ago(immediate, author):
    from datetime import timedelta

    from django.utils import timezone

    from posts.selectors import notifications_for_user

    export = services.post_export_start(user=author)
    exports.post_export_run(export_id=str(export.pk))
    assert [n["name"] for n in notifications_for_user(user=author)] == ["post_export"]
    PostExport.objects.update(finished_at=timezone.now() - timedelta(days=2))
    assert notifications_for_user(user=author) == []


@pytest.mark.django_db
def test_a_running_export_whose_worker_died_does_not_block_a_new_one(settings, author):
    from datetime import timedelta

    from django.utils import timezone

    settings.TASKS = DATABASE
    stuck = services.post_export_start(user=author)
    PostExport.objects.filter(pk=stuck.pk).update(status="running", progress=40)
    with pytest.raises(services.ExportInProgress):  # still reporting: a second one waits
        services.post_export_start(user=author)
    PostExport.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    fresh = services.post_export_start(user=author)
    assert fresh.status == "queued"
    assert not PostExport.objects.filter(pk=stuck.pk).exists()  # marked failed, then replaced by the new one


# --- Export files do not outlive their export -------------------------------------------------------


def _finished_export(person, django_capture_on_commit_callbacks) -> PostExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = services.post_export_start(user=person)
    export.refresh_from_db()
    assert export.is_downloadable
    return export


def _file_exists(export) -> bool:
    return export.file.storage.exists(export.file.name)


@pytest.mark.django_db
def test_a_new_export_replaces_the_older_one_and_its_file(immediate, author, django_capture_on_commit_callbacks):
    _finished_export(author, django_capture_on_commit_callbacks)
    second = _finished_export(author, django_capture_on_commit_callbacks)
    assert list(PostExport.objects.filter(user=author)) == [second]
    _, files = second.file.storage.listdir("exports")
    assert files == [second.file.name.rsplit("/", 1)[-1]]  # the first one's file is gone


@pytest.mark.django_db
def test_deleting_the_owner_deletes_the_export_file(immediate, author, django_capture_on_commit_callbacks):
    export = _finished_export(author, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        author.delete()
    assert not _file_exists(export)


@pytest.mark.django_db
def test_deleting_an_export_in_the_admin_deletes_its_file(
    immediate, author, admin_client, django_capture_on_commit_callbacks
):
    export = _finished_export(author, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/posts/postexport/{export.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not _file_exists(export)


@pytest.mark.django_db
def test_a_deletion_that_is_rolled_back_keeps_the_file(immediate, author, django_capture_on_commit_callbacks):
    from django.db import transaction

    export = _finished_export(author, django_capture_on_commit_callbacks)
    with pytest.raises(RuntimeError), transaction.atomic():
        PostExport.objects.filter(pk=export.pk).delete()
        raise RuntimeError
    assert _file_exists(export)
