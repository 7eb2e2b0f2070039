"""manage.py seed_db, empty_db and shell."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts import seeding
from accounts.models import Follow, User
from organization.models import Cadre, Department, Unit
from posts.counting import post_total
from posts.models import Post, PostCounter
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("accounts", "organization", "posts")
ROOT = Path(__file__).resolve().parent.parent


def project_row_counts() -> dict[str, int]:
    """Rows per model; the counter of posts (bookkeeping, its rows always there) as the number it holds."""
    counts = {
        model._meta.label: model.objects.count()
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model is not PostCounter
    }
    assert post_total() == counts["posts.Post"]
    return counts


def seed(*args, **options):
    call_command("seed_db", *args, verbosity=0, **options)


def test_seed_loads_the_reference_organization_and_demo_people():
    seed()
    rpc = Department.objects.get(abbr="RPC")
    assert rpc.kind == Department.Kind.CENTER
    assert sorted(rpc.units.values_list("abbr", flat=True)) == sorted([f"U-{n}" for n in range(1, 7)] + ["Ocu Anes"])
    assert Department.objects.get(name="Anaesthesiology").abbr == "Anaes"
    faculty = set(Cadre.objects.get(name="Faculty").designations.values_list("name", flat=True))
    assert {"Assistant Professor", "Associate Professor", "Additional Professor", "Professor"} <= faculty
    assert User.objects.count() == len(seeding.DEMO_PEOPLE)
    assert Post.objects.count() == len(seeding.DEMO_PEOPLE) * len(seeding.DEMO_POSTS)
    assert Follow.objects.count() == len(seeding.DEMO_FOLLOWS)
    assert not User.objects.filter(is_superuser=True).exists()


def test_seeding_twice_creates_no_duplicates():
    seed()
    first = project_row_counts()
    seed()
    assert project_row_counts() == first


def test_empty_db_deletes_every_row_and_reports_per_model(capsys):
    seed()
    call_command("empty_db", "--noinput")
    assert set(project_row_counts().values()) == {0}
    out = capsys.readouterr().out
    for label in ("posts.Post", "accounts.Follow", "accounts.User", "organization.Unit", "organization.Cadre"):
        assert label in out


def test_empty_db_asks_for_confirmation(monkeypatch):
    seed()
    before = project_row_counts()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="nothing was deleted"):
        call_command("empty_db")
    assert project_row_counts() == before


def test_volume_flags_create_exact_counts():
    seed(users=30, posts_per_user=4, follows_per_user=3)
    generated = User.objects.all()
    assert generated.count() == 30
    assert Post.objects.count() == 30 * 4
    assert Follow.objects.count() == 30 * 3
    for person in generated:
        assert person.posts.count() == 4
        followed = list(person.following.values_list("pk", flat=True))
        assert len(set(followed)) == 3 and person.pk not in followed
        assert person.unit is None or person.unit.department_id == person.department_id


def test_volume_mode_adds_to_existing_people_without_clashes():
    seed()
    demo = User.objects.count()
    seed(users=5, posts_per_user=1)
    seed(users=5, posts_per_user=1)
    assert User.objects.count() == demo + 10


def test_failure_in_the_middle_leaves_the_database_as_it_was(monkeypatch):
    PostFactory()
    before = project_row_counts()
    original_write = seeding._write

    def write_then_fail(model, *args, **kwargs):
        written = original_write(model, *args, **kwargs)
        if model is Follow:
            raise RuntimeError("disk full")
        return written

    monkeypatch.setattr(seeding, "_write", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        seed(users=10, posts_per_user=2, follows_per_user=2)
    assert project_row_counts() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"users": -1}, "--users must be 0 or more"),
        ({"users": 5, "posts_per_user": -2}, "--posts-per-user must be 0 or more"),
        ({"posts_per_user": 3}, "need --users"),
        ({"users": 3, "follows_per_user": 3}, "can follow at most 2"),
    ],
)
def test_bad_counts_are_command_errors_and_write_nothing(options, message):
    with pytest.raises(CommandError, match=message):
        seed(**options)
    assert set(project_row_counts().values()) == {0}


def test_superuser_needs_an_explicit_flag_and_takes_its_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-unusual-passphrase-42")
    seed(superuser=True)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("a-long-unusual-passphrase-42")


def test_superuser_without_a_password_is_a_command_error(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        seed("--noinput", superuser=True)
    assert set(project_row_counts().values()) == {0}


def test_weak_superuser_password_is_rejected(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "123")
    with pytest.raises(CommandError, match="password rejected"):
        seed(superuser=True)
    assert set(project_row_counts().values()) == {0}


def test_demo_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEED_DEMO_PASSWORD", "demo-passphrase-for-tests")
    seed()
    assert User.objects.get(username="asha").check_password("demo-passphrase-for-tests")


def test_demo_people_have_no_usable_password_by_default_in_production(settings, monkeypatch):
    monkeypatch.delenv("SEED_DEMO_PASSWORD", raising=False)
    settings.DEBUG = False
    seed()
    assert not User.objects.get(username="asha").has_usable_password()


def test_shell_starts_with_models_and_selectors_imported(capsys):
    seed()
    call_command("shell", command="print(User.objects.count(), Unit.objects.count(), callable(feed_for_user))")
    assert capsys.readouterr().out.strip().endswith(f"{User.objects.count()} {Unit.objects.count()} True")


def _manage(*args, tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["seed_db", "--users", "-5"], "--users must be 0 or more"),
        (["seed_db", "--users", "many"], "invalid int value"),
        (["seed_db", "--colour", "blue"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_clear_message(args, expected, tmp_path):
    result = _manage(*args, tmp_path=tmp_path)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.sqlite3").exists() or (tmp_path / "cli.sqlite3").stat().st_size == 0


def test_in_development_demo_people_sign_in_with_the_password_seed_db_shows(settings, monkeypatch):
    monkeypatch.delenv("SEED_DEMO_PASSWORD", raising=False)
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_db", stdout=out)
    (password,) = re.findall(r"sign in with the password '([^']+)' \(development only\)", out.getvalue())
    assert User.objects.get(username="asha").check_password(password)


def test_without_debug_there_is_no_development_password(settings, monkeypatch):
    monkeypatch.delenv("SEED_DEMO_PASSWORD", raising=False)
    settings.DEBUG = False
    out = io.StringIO()
    call_command("seed_db", stdout=out)
    assert not User.objects.get(username="asha").has_usable_password()
    assert "cannot sign in: set $SEED_DEMO_PASSWORD" in out.getvalue()


def test_seeding_again_with_a_password_sets_it_and_says_so(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv("SEED_DEMO_PASSWORD", raising=False)
    seed()
    monkeypatch.setenv("SEED_DEMO_PASSWORD", "a chosen demo passphrase")
    out = io.StringIO()
    call_command("seed_db", stdout=out)
    assert "Set the password of 6 demo people." in out.getvalue()
    assert User.objects.get(username="rahul").check_password("a chosen demo passphrase")


def test_seeding_the_superuser_again_sets_the_new_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "first long passphrase 1")
    seed(superuser=True)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "second long passphrase 2")
    out = io.StringIO()
    call_command("seed_db", "--superuser", "--noinput", stdout=out)
    assert "has the password you gave" in out.getvalue()
    assert User.objects.get(username="admin").check_password("second long passphrase 2")
