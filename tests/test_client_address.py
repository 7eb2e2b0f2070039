"""The client's address comes from the socket, or from X-Forwarded-For only behind declared proxies
(NUM_PROXIES): a client that sends a new X-Forwarded-For with each request is still one client."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.test_settings import _settings_with

pytestmark = pytest.mark.django_db


def _forwarded(n: int) -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}


@pytest.fixture
def low_limits(settings, monkeypatch):
    settings.SIGNIN_FAILURE_LIMIT = 3
    monkeypatch.setattr(
        "rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", {"anon": "3/minute", "token": "4/minute"}
    )


def test_a_new_forwarded_address_per_request_does_not_escape_the_anonymous_throttle(low_limits):
    api = APIClient()
    statuses = [api.get("/api/posts/", **_forwarded(n)).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_a_new_forwarded_address_per_request_does_not_escape_the_token_throttle(low_limits):
    person = UserFactory(username="asha")
    api = APIClient()
    statuses = [
        api.post("/api/auth/token/", {"username": f"guess{n}", "password": "x"}, **_forwarded(n)).status_code
        for n in range(6)
    ]
    assert statuses == [400, 400, 400, 400, 429, 429]
    assert person.pk  # the person exists; the guesses were for other names


def test_a_new_forwarded_address_per_request_does_not_escape_the_signin_lockout(low_limits):
    UserFactory(username="asha", password="right-password-2026")
    page = Client()
    for n in range(3):
        page.post("/accounts/login/", {"username": "asha", "password": "wrong"}, **_forwarded(n))
    response = page.post("/accounts/login/", {"username": "asha", "password": "right-password-2026"}, **_forwarded(9))
    assert response.status_code == 200  # the form again, with the error: not signed in
    assert "_auth_user_id" not in page.session


def test_behind_one_declared_proxy_its_forwarded_address_is_the_client(low_limits, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api = APIClient()
    # The proxy appends the address it saw; what the client wrote before it is not believed.
    first = [api.get("/api/posts/", HTTP_X_FORWARDED_FOR=f"spoof{n}, 198.51.100.1").status_code for n in range(4)]
    other = api.get("/api/posts/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code
    assert first == [200, 200, 200, 429]
    assert other == 200


def test_x_forwarded_proto_is_believed_only_behind_a_declared_proxy(monkeypatch):
    monkeypatch.delenv("NUM_PROXIES", raising=False)
    assert "SECURE_PROXY_SSL_HEADER" not in _settings_with(monkeypatch)
    proxied = _settings_with(monkeypatch, NUM_PROXIES="1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_client_cannot_claim_https_itself(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/explore/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
