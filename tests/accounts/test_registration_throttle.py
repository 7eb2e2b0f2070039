"""Registration is limited per client address (THROTTLE_REGISTER), on the register page and the API alike,
in one count."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase 42"


@pytest.fixture(autouse=True)
def three_an_hour(monkeypatch):
    rates = {"anon": "1000/minute", "token": "1000/minute", "register": "3/hour"}
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", rates)


def _page(client, n):
    data = {"username": f"page{n}", "email": f"page{n}@example.org", "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/register/", data)


def _api(n):
    return APIClient().post(
        "/api/users/", {"username": f"api{n}", "email": f"api{n}@example.org", "password": PASSWORD}
    )


def test_the_register_page_refuses_past_the_limit_and_says_when_to_come_back():
    statuses = [_page(Client(), n).status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    response = _page(Client(), 9)
    assert "Too many accounts were registered from your address. Try again in" in response.content.decode()
    assert User.objects.filter(username__startswith="page").count() == 3


def test_the_api_refuses_past_the_limit_with_retry_after():
    statuses = [_api(n).status_code for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert int(_api(9)["Retry-After"]) > 0
    assert User.objects.filter(username__startswith="api").count() == 3


def test_the_page_and_the_api_share_one_count():
    assert [_page(Client(), 0).status_code, _api(1).status_code, _page(Client(), 2).status_code] == [302, 201, 302]
    assert _api(3).status_code == 429
    assert _page(Client(), 4).status_code == 429


def test_another_address_has_its_own_count():
    for n in range(3):
        _api(n)
    other = APIClient(REMOTE_ADDR="192.0.2.7")
    data = {"username": "elsewhere", "email": "elsewhere@example.org", "password": PASSWORD}
    assert other.post("/api/users/", data).status_code == 201
