"""project.storage.StaticFilesStorage gives WhiteNoise's URLs, and new ones after collectstatic."""

import pytest
from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage

from project.storage import StaticFilesStorage


@pytest.fixture
def collected(tmp_path, settings):
    """collectstatic into a fresh folder with our storage, as a deployment runs it."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "project.storage.StaticFilesStorage"}}
    call_command("collectstatic", "--noinput", "-v0")
    return tmp_path


NAMES = ["app.css", "app.js", "bootstrap/css/bootstrap.min.css", "app.css#top", "app.css?#iefix"]


@pytest.mark.parametrize("debug", [False, True])
def test_urls_are_whitenoises_and_kept(collected, settings, debug):
    settings.DEBUG = debug
    ours, theirs = StaticFilesStorage(location=collected), CompressedManifestStaticFilesStorage(location=collected)
    for name in NAMES:
        assert ours.url(name) == ours.url(name) == theirs.url(name)
    assert ours.url("app.css") != "/static/app.css" or debug  # hashed in production


def test_a_new_collectstatic_gives_new_urls(collected, settings):
    storage = StaticFilesStorage(location=collected)
    before = storage.url("app.css")
    storage.hashed_files = {}
    list(storage.post_process({}, dry_run=True))  # what collectstatic runs once the files are copied
    assert storage._urls == {}
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("app.css")  # no entry in the new (empty) manifest: Django's error, not the old URL
    assert before.startswith("/static/app.") and before.endswith(".css")


def test_unknown_files_fail_as_django_does(collected):
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        StaticFilesStorage(location=collected).url("missing.css")
