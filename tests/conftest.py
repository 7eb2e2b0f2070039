import os

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests only need a hash that verifies."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache_folder(tmp_path_factory):
    """The suite's own shared file cache (not the one a development server in this folder uses); processes
    the tests start (gunicorn, commands) share it through CACHE_DIR."""
    folder = tmp_path_factory.mktemp("cache")
    caches_setting = {
        "default": {**settings.CACHES["default"], "LOCATION": str(folder)},
        "state": {**settings.CACHES["state"], "LOCATION": str(folder / "state")},
    }
    previous = os.environ.get("CACHE_DIR")
    os.environ["CACHE_DIR"] = str(folder)
    with override_settings(CACHES=caches_setting):
        yield folder
    if previous is None:
        del os.environ["CACHE_DIR"]
    else:
        os.environ["CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles, lockouts and cached reads live in the caches, the database rolls back: each test starts empty."""
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser, seen just now: the once-a-minute last_seen write stays out of query counts."""
    return django_user_model.objects.create_superuser(
        username="admin", email="admin@example.com", password="password", last_seen=timezone.now()
    )


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    """An anonymous API client (JSON by default)."""
    return APIClient()


@pytest.fixture
def client_for(db):
    """client_for(user) → an API client authenticated with that user's token."""
    from rest_framework.authtoken.models import Token

    def make(user):
        # Seen just now: the once-a-minute last_seen write stays out of query counts.
        User.objects.filter(pk=user.pk).update(last_seen=timezone.now())
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
