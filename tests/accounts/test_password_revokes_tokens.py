"""A new password, by change (on the pages or the admin's own page), by reset or set by an admin, revokes the
person's API tokens (and, as Django does, their other sessions)."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
NEW = {"new_password1": "a brand new passphrase 77", "new_password2": "a brand new passphrase 77"}


@pytest.fixture
def person():
    return UserFactory(email="asha@example.org")


def _token_works(person) -> bool:
    token = Token.objects.filter(user=person).first()
    if token is None:
        return False
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api.get("/api/users/me/").status_code == 200


def _with_token(person):
    Token.objects.get_or_create(user=person)
    assert _token_works(person)


def test_changing_ones_password_revokes_the_api_token(client, person):
    _with_token(person)
    other_browser = Client()
    other_browser.force_login(person)
    client.force_login(person)
    response = client.post("/accounts/password_change/", {"old_password": PASSWORD, **NEW})
    assert response.status_code == 302
    assert not _token_works(person)
    assert client.get("/edit_profile/").status_code == 200  # this session goes on
    assert other_browser.get("/edit_profile/").status_code == 302  # the other one is signed out


def test_resetting_ones_password_revokes_the_api_token(client, person):
    _with_token(person)
    client.post("/accounts/password_reset/", {"email": person.email})
    (link,) = re.findall(r"/accounts/reset/[^/]+/[^/\s]+/", mail.outbox[0].body)
    form = client.get(link, follow=True)
    response = client.post(form.redirect_chain[-1][0], NEW)
    assert response.status_code == 302
    assert not _token_works(person)


def test_an_admin_setting_a_password_revokes_the_api_token(admin_client, person):
    _with_token(person)
    url = reverse("admin:auth_user_password_change", args=[person.pk]).replace("auth/user", "accounts/user")
    response = admin_client.post(url, {"password1": NEW["new_password1"], "password2": NEW["new_password2"]})
    assert response.status_code == 302
    assert not _token_works(person)


def test_a_staff_member_changing_their_own_password_in_the_admin_revokes_their_api_token(client):
    staff = UserFactory(is_staff=True)
    _with_token(staff)
    client.force_login(staff)
    page = client.get(reverse("admin:password_change"))
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    response = client.post(reverse("admin:password_change"), {"old_password": PASSWORD, **NEW})
    assert response.status_code == 302 and response["Location"] == reverse("admin:password_change_done")
    staff.refresh_from_db()
    assert staff.check_password(NEW["new_password1"])
    assert not _token_works(staff)
    assert client.get(reverse("admin:index")).status_code == 200  # this session goes on


def test_a_wrong_old_password_changes_nothing(client, person):
    _with_token(person)
    client.force_login(person)
    response = client.post("/accounts/password_change/", {"old_password": "wrong", **NEW})
    assert response.status_code == 200
    assert _token_works(person)
