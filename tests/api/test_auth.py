"""Session and token authentication, token obtain/revoke, and throttling of the API."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"
ME_URL = "/api/users/me/"
PASSWORD = "correct horse battery staple"  # what UserFactory sets


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def low_throttle_rates(monkeypatch):
    """DRF binds THROTTLE_RATES at import time, so the settings fixture would not reach it."""
    monkeypatch.setattr(
        "rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", {"anon": "3/minute", "token": "2/minute"}
    )


# --- Obtaining a token ----------------------------------------------------------------


def test_token_obtained_with_valid_credentials_authenticates_requests(api_client, user):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=user).key == key
    me = token_client(key).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk


def test_token_obtained_twice_is_the_same_token(api_client, user):
    credentials = {"username": user.username, "password": PASSWORD}
    first = api_client.post(TOKEN_URL, credentials).json()["token"]
    second = api_client.post(TOKEN_URL, credentials).json()["token"]
    assert first == second
    assert Token.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("username", "password"),
    [("{user}", "wrong password"), ("nobody-like-this", PASSWORD), ("{user}", ""), ("", PASSWORD)],
    ids=["wrong-password", "unknown-user", "empty-password", "empty-username"],
)
def test_token_with_wrong_credentials_is_400_with_a_message(api_client, user, username, password):
    payload = {"username": username.format(user=user.username), "password": password}

    response = api_client.post(TOKEN_URL, payload)

    assert response.status_code == 400
    body = response.json()
    assert body and all(isinstance(messages, list) and messages for messages in body.values())
    assert "token" not in body
    assert not Token.objects.exists()


def test_token_without_fields_is_400_naming_both(api_client):
    response = api_client.post(TOKEN_URL, {})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_token_for_inactive_user_is_refused(api_client):
    inactive = UserFactory(is_active=False)
    response = api_client.post(TOKEN_URL, {"username": inactive.username, "password": PASSWORD})
    assert response.status_code == 400
    assert not Token.objects.filter(user=inactive).exists()


def test_token_of_a_deactivated_user_is_401(client_for, user):
    client = client_for(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(ME_URL).status_code == 401


# --- Using and revoking a token -----------------------------------------------------


@pytest.mark.parametrize("header", ["Token not-a-real-key", "Token ", "Token a b", "token lowercase-scheme"])
def test_invalid_token_is_401_even_on_public_endpoints(user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    credentials = {"username": user.username, "password": PASSWORD}
    for response in (client.get(ME_URL), client.get("/api/users/"), client.post(TOKEN_URL, credentials)):
        assert response.status_code == 401, response.request["PATH_INFO"]
        assert response["WWW-Authenticate"] == "Token"


def test_another_authorization_scheme_is_ignored_as_anonymous(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer abc")
    assert client.get("/api/users/").status_code == 200
    assert client.get(ME_URL).status_code == 401


def test_anonymous_me_is_401_with_token_challenge(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_revoking_the_token_is_204_and_the_old_token_is_401(client_for, user):
    client = client_for(user)
    other = UserFactory()
    other_key = Token.objects.create(user=other).key

    response = client.delete(TOKEN_URL)

    assert response.status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert client.get(ME_URL).status_code == 401
    assert client.delete(TOKEN_URL).status_code == 401
    assert Token.objects.get(user=other).key == other_key  # only the caller's token is revoked


def test_new_token_after_revoking_is_a_different_key(api_client, client_for, user):
    old_key = Token.objects.get_or_create(user=user)[0].key
    assert token_client(old_key).delete(TOKEN_URL).status_code == 204

    new_key = api_client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}).json()["token"]

    assert new_key != old_key
    assert token_client(new_key).get(ME_URL).status_code == 200
    assert token_client(old_key).get(ME_URL).status_code == 401


def test_revoking_without_authentication_is_401(api_client):
    assert api_client.delete(TOKEN_URL).status_code == 401


def test_revoking_with_session_auth_deletes_the_token(user):
    Token.objects.create(user=user)
    client = APIClient()
    client.force_login(user)
    assert client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=user).exists()


# --- Session authentication ------------------------------------------------------------


def test_session_login_authenticates_api_requests(user):
    client = APIClient()
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_session_auth_writes_need_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch(f"/api/users/{user.pk}/", {"about_me": "changed"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    user.refresh_from_db()
    assert user.about_me != "changed"


# --- Who may use the token endpoint -------------------------------------------------------

ACTORS = ["anonymous", "other", "owner", "staff"]


@pytest.fixture
def actor_client(client_for, user):
    def make(actor):
        if actor == "anonymous":
            return APIClient()
        return client_for({"owner": user, "other": UserFactory(), "staff": StaffFactory()}[actor])

    return make


@pytest.mark.parametrize(
    ("method", "expected"),
    [("post", dict.fromkeys(ACTORS, 200)), ("delete", {"anonymous": 401, "other": 204, "owner": 204, "staff": 204})],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_token_endpoint_permissions(actor_client, user, actor, method, expected):
    client = actor_client(actor)
    payload = {"username": user.username, "password": PASSWORD} if method == "post" else None
    response = getattr(client, method)(TOKEN_URL, payload)
    assert response.status_code == expected[actor]
    if method == "post":
        assert response.json()["token"] == Token.objects.get(user=user).key


# --- Throttling -------------------------------------------------------------------------------


def test_token_endpoint_is_throttled_with_retry_after(api_client, user, low_throttle_rates):
    credentials = {"username": user.username, "password": "wrong password"}
    assert [api_client.post(TOKEN_URL, credentials).status_code for _ in range(2)] == [400, 400]

    response = api_client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "detail" in response.json()
    assert not Token.objects.exists()  # even the right password is refused while throttled


def test_anonymous_requests_are_throttled_with_retry_after(api_client, low_throttle_rates):
    assert [api_client.get("/api/users/").status_code for _ in range(3)] == [200, 200, 200]

    response = api_client.get("/api/users/")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_authenticated_requests_are_not_throttled_as_anonymous(client_for, user, low_throttle_rates):
    client = client_for(user)
    assert {client.get("/api/users/").status_code for _ in range(5)} == {200}
