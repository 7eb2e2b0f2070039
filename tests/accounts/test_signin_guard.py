"""Repeated failed sign-ins are refused for a while, on the sign-in page and at the token endpoint."""

import time

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def limit(settings):
    settings.SIGNIN_FAILURE_LIMIT = 3
    return 3


def _page_sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_sign_in_page_refuses_after_repeated_failures_even_the_right_password(limit):
    user = UserFactory()
    client = Client()
    for _ in range(limit):
        response = _page_sign_in(client, user.username, "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = _page_sign_in(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_clears_the_failures(limit):
    user = UserFactory()
    for _ in range(limit - 1):
        _page_sign_in(Client(), user.username, "wrong")
    assert _page_sign_in(Client(), user.username, PASSWORD).status_code == 302
    for _ in range(limit - 1):
        _page_sign_in(Client(), user.username, "wrong")
    assert _page_sign_in(Client(), user.username, PASSWORD).status_code == 302


def test_failures_for_one_person_do_not_block_another(limit):
    victim, other = UserFactory.create_batch(2)
    for _ in range(limit):
        _page_sign_in(Client(), victim.username, "wrong")
    assert _page_sign_in(Client(), other.username, PASSWORD).status_code == 302


def test_token_endpoint_answers_429_with_retry_after_after_repeated_failures(api_client, limit, monkeypatch):
    # The endpoint's own request-rate throttle is not what is tested here.
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", {"token": "1000/min"})
    user = UserFactory()
    for _ in range(limit):
        response = api_client.post("/api/auth/token/", {"username": user.username, "password": "wrong"})
        assert response.status_code == 400
    response = api_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in response.json()["detail"]


def test_the_lockout_ends_when_the_window_after_the_first_failure_ends(limit, settings):
    """With the default file cache too, whose incr() would otherwise keep a count for its default timeout."""
    settings.SIGNIN_FAILURE_WINDOW = 5  # room for a slow machine to see the lockout before it ends
    user = UserFactory()
    started = time.monotonic()
    for _ in range(limit):
        _page_sign_in(Client(), user.username, "wrong")
    assert "Too many failed" in _page_sign_in(Client(), user.username, PASSWORD).content.decode()
    # The count's expiry is what is left of the window, in whole seconds (rounded up): at most 1 s later.
    time.sleep(max(0, started + 6.5 - time.monotonic()))
    assert _page_sign_in(Client(), user.username, PASSWORD).status_code == 302
