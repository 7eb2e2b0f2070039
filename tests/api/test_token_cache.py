"""Whose an API token is, and that person, are read from the shared cache (accounts.authentication): a token
signed out, revoked or deleted in the admin, and a person deactivated, are refused at the next request."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token, TokenProxy

from accounts.models import User
from tests.factories import UserFactory
from tests.pages.helpers import sign_in
from tests.test_freshness import change_in_admin, delete_in_admin

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"


@pytest.fixture
def person_and_api(client_for):
    person = UserFactory()
    api = client_for(person)
    for _ in range(2):  # the token with its person, then the person's row as a session's: both kept
        assert api.get("/api/feed/").status_code == 200
    return person, api


def test_a_kept_token_needs_no_query(person_and_api):
    _, api = person_and_api
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/feed/").status_code == 200
    assert ctx.captured_queries == []


def test_a_token_signed_out_is_refused_at_its_next_request(person_and_api):
    _, api = person_and_api
    assert api.delete(TOKEN_URL).status_code == 204
    response = api.get("/api/feed/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_token_deleted_in_the_admin_is_refused_at_its_next_request(person_and_api, admin_client):
    person, api = person_and_api
    delete_in_admin(admin_client, TokenProxy.objects.get(user=person))  # the admin's model for tokens
    assert not Token.objects.filter(user=person).exists()
    assert api.get("/api/feed/").status_code == 401


def test_a_new_password_chosen_on_the_pages_revokes_the_kept_token(person_and_api):
    person, api = person_and_api
    browser = sign_in(Client(), person)
    new = "An0ther-secret!"
    response = browser.post(
        "/accounts/password_change/",
        {"old_password": "correct horse battery staple", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert api.get("/api/feed/").status_code == 401


def test_a_person_deactivated_in_the_admin_is_refused_at_their_next_request(person_and_api, admin_client):
    person, api = person_and_api
    change_in_admin(admin_client, person, unset=("is_active",))
    assert not User.objects.get(pk=person.pk).is_active
    response = api.get("/api/feed/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_a_persons_own_post_leaves_their_kept_row_alone(person_and_api):
    """Posts and follows change what is shown of a person (their counts), not their row: the next request
    is still authenticated without a query."""
    _, api = person_and_api
    other = UserFactory()
    assert api.get(f"/api/users/{other.pk}/").status_code == 200  # kept
    assert api.post("/api/posts/", {"body": "hello"}, format="json").status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(f"/api/users/{other.pk}/").status_code == 200
    assert ctx.captured_queries == []
