"""Settings come from the environment; production settings fail fast and pass the deploy checks."""

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "x7!kq2@v9#p4$z8&m1^r6*t3(w5)y0_u-e=b+n~c?h;j:g,f.d<s>a|o{i}l[",
    "ALLOWED_HOSTS": "blog.example.org",
}


def _manage(*args, **env):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' conftest; deploy checks rightly refuse it.
    ignored = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_a_missing_secret_key_stops_start_up_with_one_line():
    result = _manage("check", DEBUG="False")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SECRET_KEY must be set when DEBUG is False" in lines[0]


def test_production_variables_pass_the_deploy_checks_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_runs_with_no_environment_at_all():
    result = _manage("check", "--deploy")
    assert result.returncode == 0, result.stderr
    assert "security.W018" in result.stderr  # DEBUG is on: fine for development, flagged for deploy


def _settings_with(monkeypatch, **env) -> dict:
    """Evaluate the settings module afresh under `env` (no database connection, no driver needed)."""
    for name in ("DEBUG", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "project" / "settings.py"))


def test_database_url_selects_the_engine(monkeypatch, tmp_path):
    default = _settings_with(monkeypatch)["DATABASES"]["default"]
    assert (default["ENGINE"], default["NAME"]) == ("django.db.backends.sqlite3", str(ROOT / "db.sqlite3"))

    postgres = _settings_with(monkeypatch, DATABASE_URL="postgres://u@db.example:5432/blog")["DATABASES"]["default"]
    assert (postgres["ENGINE"], postgres["NAME"], postgres["HOST"]) == (
        "core.backends.postgresql",
        "blog",
        "db.example",
    )
    assert postgres["CONN_HEALTH_CHECKS"] is True and postgres["CONN_MAX_AGE"] > 0
    replica = _settings_with(
        monkeypatch,
        DATABASE_URL="postgres://u@db.example/blog",
        DATABASE_REPLICA_URL="postgres://u@replica.example/blog",
    )["DATABASES"]["replica"]
    assert (replica["ENGINE"], replica["HOST"]) == ("core.backends.postgresql", "replica.example")

    mysql = _settings_with(monkeypatch, DATABASE_URL="mysql://u@db.example:3306/blog")["DATABASES"]["default"]
    assert mysql["ENGINE"] == "django.db.backends.mysql"
    assert mysql["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in mysql["OPTIONS"]["init_command"]


def test_cache_and_email_urls_are_read(monkeypatch):
    settings = _settings_with(monkeypatch, CACHE_URL="redis://127.0.0.1:6379/1", EMAIL_URL="smtp://mail.example:25")
    assert settings["CACHES"]["default"]["BACKEND"] == "core.cache_backends.RedisCache"  # Django's, one-trip incr()
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["EMAIL_HOST"] == "mail.example"


def test_a_secret_key_that_starts_with_a_dollar_sign_is_read_as_written(monkeypatch):
    """django-environ reads "$NAME" as another variable's value: a generated key may start with "$"."""
    key = "$" + PRODUCTION["SECRET_KEY"][1:]
    assert _settings_with(monkeypatch, **PRODUCTION | {"SECRET_KEY": key})["SECRET_KEY"] == key


def test_a_warning_of_django_is_printed_once():
    script = "import logging, django; django.setup(); logging.getLogger('django.request').warning('Not Found: /x')"
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_LEVEL")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "True"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in result.stderr.splitlines() if "Not Found: /x" in line]
    assert len(lines) == 1, result.stderr
    assert "WARNING django.request: Not Found: /x" in lines[0]


def test_the_console_email_names_an_attachment_instead_of_printing_it():
    import io

    from django.core.mail import EmailMessage

    from core.mail import ConsoleEmailBackend

    out = io.StringIO()
    message = EmailMessage("Your posts", "Attached.", to=["asha@example.org"])
    message.attach("posts.zip", b"PK" + bytes(5000), "application/zip")
    ConsoleEmailBackend(stream=out).send_messages([message])
    printed = out.getvalue()
    assert "Subject: Your posts" in printed and "Attached." in printed
    assert "[attachment posts.zip (application/zip, 5,002 bytes): not printed]" in printed
    assert len(printed) < 2000  # no base64 of the file


@pytest.mark.parametrize("entry_point", ["project.wsgi", "project.asgi"])
def test_the_application_leaves_what_it_loaded_out_of_the_garbage_collectors_scans(entry_point):
    """The entry points freeze what loading the project created (core.process, gc.freeze): a full collection,
    due now and then in the middle of a request, scans only what requests leave behind (~120,000 objects)."""
    probe = (
        f"import gc, json, django.urls, {entry_point}\n"
        "django.urls.resolve('/')  # the URLconf was loaded with the application: nothing new to track\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects())}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.splitlines()[-1])
    assert counts["frozen"] > 50_000, counts
    assert counts["tracked"] < counts["frozen"] / 20, counts
