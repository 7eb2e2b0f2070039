"""Signing in after the import: with the microblog's Werkzeug hash as it was, or with the staff directory's
plain-text password, which must then be changed."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.flask_import.helpers import import_flask
from tests.flask_import.sources import PASSWORD, SCRYPT_PASSWORD, realistic_microblog, realistic_staff

WERKZEUG_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",  # the suite's fast hasher stands in for Argon2
    "accounts.hashers.WerkzeugScryptPasswordHasher",
    "accounts.hashers.WerkzeugPBKDF2PasswordHasher",
]


@pytest.fixture
def werkzeug_hashers(settings):
    settings.PASSWORD_HASHERS = WERKZEUG_HASHERS


@pytest.fixture
def imported_microblog(microblog, werkzeug_hashers):
    realistic_microblog(microblog)
    run = import_flask("microblog", microblog.url)
    assert run.returncode == 0, run


@pytest.mark.parametrize(
    ("username", "password", "algorithm"),
    [("susan", SCRYPT_PASSWORD, "werkzeug_scrypt"), ("john", PASSWORD, "werkzeug_pbkdf2")],
    ids=["scrypt", "pbkdf2"],
)
def test_a_microblog_person_gets_a_token_with_their_old_password(
    imported_microblog, api_client, username, password, algorithm
):
    assert User.objects.get(username=username).password.startswith(f"{algorithm}$")

    response = api_client.post("/api/auth/token/", {"username": username, "password": password}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["token"]
    rehashed = User.objects.get(username=username).password
    assert rehashed.startswith("md5$"), rehashed  # hashed again with the first hasher: the Werkzeug hash is gone
    assert User.objects.get(username=username).check_password(password)


def test_a_wrong_password_does_not_sign_in_and_keeps_the_werkzeug_hash(imported_microblog, api_client):
    before = User.objects.get(username="john").password

    response = api_client.post("/api/auth/token/", {"username": "john", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert User.objects.get(username="john").password == before


def test_a_microblog_person_signs_in_on_the_page(imported_microblog, client):
    response = client.post(reverse("login"), {"username": "susan", "password": SCRYPT_PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="susan").pk)


@pytest.fixture
def imported_staff(staff):
    realistic_staff(staff)
    run = import_flask("staff", staff.url)
    assert run.returncode == 0, run


def test_a_staff_person_signs_in_with_their_old_password_and_is_sent_to_change_it(imported_staff, client):
    response = client.post(reverse("login"), {"username": "asha", "password": "asha-plain-pw-1"}, follow=True)

    assert client.session["_auth_user_id"] == str(User.objects.get(username="asha").pk)
    assert response.redirect_chain, "no redirect after signing in"
    assert response.request["PATH_INFO"] == reverse("password_change"), response.redirect_chain


def test_a_deactivated_staff_person_cannot_sign_in(imported_staff, client):
    response = client.post(reverse("login"), {"username": "meena", "password": "meena-plain-pw-3"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
