"""People whose password came in as plain text (must_change_password) choose a new one before anything else."""

import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import UserFactory
from tests.pages.helpers import count_queries, sign_in, text

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
NEW = {"new_password1": "a brand new passphrase 77", "new_password2": "a brand new passphrase 77"}
CHANGE = "/accounts/password_change/"
MESSAGE = "Please choose a new password before you go on."
REQUIRED = {
    "detail": "Choose a new password on the web pages first (/accounts/password_change/).",
    "code": "password_change_required",
}
MIDDLEWARE = "accounts.middleware.PasswordChangeRequiredMiddleware"


@pytest.fixture
def flagged():
    return UserFactory(username="ravi", email="ravi@example.org", must_change_password=True)


@pytest.fixture
def flagged_client(client, flagged):
    return sign_in(client, flagged)


def _flag(person) -> bool:
    return User.objects.values_list("must_change_password", flat=True).get(pk=person.pk)


def _change_password(client):
    response = client.post(CHANGE, {"old_password": PASSWORD, **NEW})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")


# --- The pages ----------------------------------------------------------------------------------------------


def test_signing_in_leads_to_the_password_change_page_with_a_message(client, flagged):
    response = client.post("/accounts/login/", {"username": "ravi", "password": PASSWORD}, follow=True)
    assert [url for url, _ in response.redirect_chain] == ["/", f"{CHANGE}?next=%2F"]
    assert response.status_code == 200
    assert response.templates[0].name == "registration/password_change_form.html"
    assert text(response).count(MESSAGE) == 1
    assert MESSAGE not in text(client.get(CHANGE))  # shown once


@pytest.mark.parametrize(
    "url", ["/", "/explore/", "/edit_profile/", "/user/ravi/", "/organization/", "/messages/", "/search/?q=a%20b"]
)
def test_every_page_redirects_to_it_and_comes_back_through_next(flagged_client, url):
    response = flagged_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGE}?{urlencode({'next': url})}"


def test_a_form_sent_is_not_acted_on_and_leads_there_without_next(flagged_client):
    other = UserFactory(username="meera")
    response = flagged_client.post("/follow/meera/")
    assert (response.status_code, response["Location"]) == (302, CHANGE)
    assert not other.followers.exists()


def test_the_admin_leads_there_too_even_its_own_password_change(client):
    staff = UserFactory(is_staff=True, is_superuser=True, must_change_password=True)
    sign_in(client, staff)
    assert client.get("/admin/")["Location"] == f"{CHANGE}?next=%2Fadmin%2F"
    assert client.get("/admin/password_change/")["Location"].startswith(f"{CHANGE}?next=")  # its form keeps the flag
    signed_out = client.post("/admin/logout/")  # signing out of the admin works
    assert (signed_out.status_code, signed_out["Location"]) == (302, "/")
    assert client.get("/explore/").status_code == 200


def test_scripts_asking_for_data_get_a_403_and_leave_no_message_behind(flagged_client):
    polling = flagged_client.get("/notifications/", {"since": 0}, HTTP_ACCEPT="application/json")
    assert (polling.status_code, polling.json()) == (403, REQUIRED)
    hover_card = flagged_client.get("/user/ravi/popup/", HTTP_X_REQUESTED_WITH="fetch")
    assert hover_card.status_code == 403
    assert flagged_client.get("/explore/", HTTP_SEC_FETCH_MODE="cors").status_code == 403
    assert flagged_client.get("/explore/", HTTP_SEC_FETCH_MODE="navigate").status_code == 302
    assert text(flagged_client.get(CHANGE)).count(MESSAGE) == 1  # the navigation's message alone


def test_what_stays_open(flagged_client, flagged):
    assert flagged_client.get(CHANGE).status_code == 200
    assert flagged_client.get(reverse("password_change_done")).status_code == 200
    assert flagged_client.get(f"/avatar/{flagged.pk}.svg").status_code == 200
    assert "favicon" in flagged_client.get("/favicon.ico")["Location"]  # the icon's static file
    switched = flagged_client.post("/i18n/setlang/", {"language": "hi", "next": CHANGE})
    assert (switched.status_code, switched["Location"]) == (302, CHANGE)
    hindi = flagged_client.get("/explore/", follow=True)
    assert "आगे बढ़ने से पहले कृपया नया पासवर्ड चुनें।" in text(hindi)


def test_signing_out_works(flagged_client):
    response = flagged_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert flagged_client.get("/explore/").status_code == 200  # a visitor now


def test_after_the_change_the_flag_is_cleared_and_the_pages_work(flagged_client, flagged):
    wrong = flagged_client.post(CHANGE, {"old_password": "not it", **NEW})
    assert wrong.status_code == 200
    assert _flag(flagged)
    _change_password(flagged_client)
    assert not _flag(flagged)
    for url in ("/", "/explore/", "/edit_profile/", "/user/ravi/"):
        response = flagged_client.get(url)
        assert response.status_code == 200, url
        assert MESSAGE not in text(response)


def test_the_password_reset_clears_the_flag(client, flagged):
    client.post("/accounts/password_reset/", {"email": flagged.email})
    (link,) = re.findall(r"/accounts/reset/[^/]+/[^/\s]+/", mail.outbox[0].body)
    form = client.get(link, follow=True)
    assert client.post(form.redirect_chain[-1][0], NEW).status_code == 302
    assert not _flag(flagged)
    assert client.post("/accounts/login/", {"username": "ravi", "password": NEW["new_password1"]}).status_code == 302
    assert client.get("/explore/").status_code == 200


def test_an_admin_setting_the_password_clears_the_flag(admin_client, flagged):
    url = reverse("admin:auth_user_password_change", args=[flagged.pk]).replace("auth/user", "accounts/user")
    response = admin_client.post(url, {"password1": NEW["new_password1"], "password2": NEW["new_password2"]})
    assert response.status_code == 302
    assert not _flag(flagged)


def test_the_flag_is_kept_in_the_change_history(flagged_client, flagged):
    _change_password(flagged_client)
    latest = flagged.history.first()
    assert latest.must_change_password is False
    assert latest.prev_record.must_change_password is True


# --- The API ------------------------------------------------------------------------------------------------


def test_no_api_token_before_the_change_then_one(api_client, flagged, client):
    refused = api_client.post("/api/auth/token/", {"username": "ravi", "password": PASSWORD})
    assert (refused.status_code, refused.json()) == (403, REQUIRED)
    wrong = api_client.post("/api/auth/token/", {"username": "ravi", "password": "not it"})
    assert wrong.status_code == 400
    assert "code" not in wrong.json()

    sign_in(client, flagged)
    _change_password(client)
    response = api_client.post("/api/auth/token/", {"username": "ravi", "password": NEW["new_password1"]})
    assert response.status_code == 200
    assert response.json()["token"]


def test_the_refusal_is_in_hindi_too(api_client, flagged):
    response = api_client.post(
        "/api/auth/token/", {"username": "ravi", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "पहले वेब पेजों पर नया पासवर्ड चुनें (/accounts/password_change/)।",
        "code": "password_change_required",
    }


def test_the_schema_documents_the_403_of_the_token_endpoint(api_contract):
    response = api_contract.document["paths"]["/api/auth/token/"]["post"]["responses"]["403"]
    assert '"code": "password_change_required"' in response["description"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/users/me/"), ("get", "/api/posts/"), ("post", "/api/posts/"), ("delete", "/api/auth/token/")],
)
def test_a_browser_session_gets_the_same_403_from_the_api(flagged, method, path):
    session = APIClient()
    session.force_login(flagged)
    response = getattr(session, method)(path, {"body": "hello"} if method == "post" else None)
    assert (response.status_code, response.json()) == (403, REQUIRED)


# --- Everyone else ------------------------------------------------------------------------------------------


def test_people_without_the_flag_see_no_difference(client):
    sign_in(client, UserFactory())
    for url in ("/", "/explore/", "/edit_profile/", CHANGE):
        response = client.get(url)
        assert response.status_code == 200, url
        assert MESSAGE not in text(response)


def test_people_without_the_flag_cost_no_query_more(settings, flagged):
    person = UserFactory()
    with_it, without = settings.MIDDLEWARE, [entry for entry in settings.MIDDLEWARE if entry != MIDDLEWARE]
    assert len(without) == len(with_it) - 1
    count_queries(sign_in(Client(), person), "/explore/")  # the caches filled
    counts = []
    for middleware in (with_it, without, with_it):
        settings.MIDDLEWARE = middleware  # a new client below: a client builds its middleware once
        counts.append(count_queries(sign_in(Client(), person), "/explore/"))
        flagged_status = sign_in(Client(), flagged).get("/explore/").status_code
        assert flagged_status == (302 if middleware is with_it else 200)  # the setting took effect
    assert counts[0] == counts[1] == counts[2] > 0


def test_the_change_goes_on_to_the_page_asked_for_with_a_message(flagged_client, flagged):
    asked = flagged_client.get("/explore/")
    response = flagged_client.post(asked["Location"], {"old_password": PASSWORD, **NEW}, follow=True)
    assert [url for url, _ in response.redirect_chain] == ["/explore/"]
    assert "Your password has been changed." in text(response)
    assert not _flag(flagged)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_the_change_never_goes_on_to_another_site(flagged_client, next_url):
    response = flagged_client.post(f"{CHANGE}?{urlencode({'next': next_url})}", {"old_password": PASSWORD, **NEW})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
