"""Register, sign in ("remember me", safe next), sign out, password change and reset, last_seen."""

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError, OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory
from tests.pages.helpers import text, unlabelled_fields, visible_field_names

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def register_data(**changes):
    return {
        "username": "asha",
        "email": "asha@example.org",
        "password1": "Tr1cky-enough!",
        "password2": "Tr1cky-enough!",
    } | changes


def test_register_form_has_labelled_username_email_and_passwords(client):
    html = text(client.get("/accounts/register/"))
    assert visible_field_names(html) == ["q", "language", "username", "email", "password1", "password2"]
    assert unlabelled_fields(html) == []


def test_register_creates_the_person_signs_in_and_redirects_home(client):
    response = client.post("/accounts/register/", register_data())
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="asha")
    assert user.email == "asha@example.org"
    assert user.check_password("Tr1cky-enough!")
    assert client.session["_auth_user_id"] == str(user.pk)
    html = text(client.get("/"))
    assert "Welcome, asha!" in html
    assert "Hi, asha!" in html


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"username": "RAVI"}, "username", "A user with that username already exists."),
        ({"username": "ravi"}, "username", "A user with that username already exists."),
        ({"email": "RAVI@Example.org"}, "email", "A user with that email address already exists."),
        ({"password1": "x1", "password2": "x2"}, "password2", "The two password fields didn"),
        ({"password1": "short", "password2": "short"}, "password2", "This password is too short."),
        ({"password1": "password123", "password2": "password123"}, "password2", "This password is too common."),
        ({"password1": "83920174615", "password2": "83920174615"}, "password2", "entirely numeric."),
        ({"password1": "asha@example", "password2": "asha@example"}, "password2", "too similar"),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "nope"}, "email", "Enter a valid email address."),
        ({"username": "a b"}, "username", "Enter a valid username."),
    ],
    ids=[
        "username-other-case",
        "username-same-case",
        "email-other-case",
        "mismatch",
        "too-short",
        "common",
        "numeric",
        "similar",
        "no-email",
        "bad-email",
        "bad-username",
    ],
)
def test_register_errors_are_shown_on_the_form_and_nothing_is_saved(client, changes, field, error):
    UserFactory(username="ravi", email="ravi@example.org")
    response = client.post("/accounts/register/", register_data(**changes))
    assert response.status_code == 200
    form_errors = " ".join(e for errors in response.context["form"].errors.values() for e in errors)
    assert error in form_errors
    assert error in text(response).replace("&#x27;", "'")
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("changes", "field"), [({"username": "RAVI"}, "username"), ({"email": "RAVI@example.org"}, "email")]
)
def test_register_shows_a_taken_username_or_email_on_its_field(client, changes, field):
    UserFactory(username="ravi", email="ravi@example.org")
    form = client.post("/accounts/register/", register_data(**changes)).context["form"]
    assert list(form.errors) == [field]


def test_register_while_signed_in_goes_home(signed_in, user):
    assert signed_in(user).get("/accounts/register/")["Location"] == "/"


def test_login_form_has_labelled_username_password_and_remember_me(client):
    html = text(client.get("/accounts/login/"))
    assert visible_field_names(html) == ["q", "language", "username", "password", "remember_me"]
    assert unlabelled_fields(html) == []
    assert 'href="/accounts/password_reset/"' in html


def test_login_with_remember_me_keeps_the_session_after_the_browser_closes(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, "remember_me": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session.get_expire_at_browser_close() is False


def test_login_without_remember_me_ends_the_session_with_the_browser(client, user):
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session.get_expire_at_browser_close() is True


def test_login_with_a_wrong_password_shows_an_error(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)
    assert "_auth_user_id" not in client.session


def test_login_follows_a_safe_next(client, user):
    response = client.post(
        "/accounts/login/?next=/explore/", {"username": user.username, "password": PASSWORD, "next": "/explore/"}
    )
    assert response["Location"] == "/explore/"


def test_login_page_carries_next_into_the_form(client):
    assert 'name="next" value="/explore/"' in text(client.get("/accounts/login/?next=/explore/"))


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "https:///evil.example/"])
def test_login_does_not_follow_an_external_next(client, user, next_url):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "evil.example" not in text(client.get(f"/accounts/login/?next={next_url}"))


def test_signed_in_visit_of_the_sign_in_page_goes_home(signed_in, user):
    assert signed_in(user).get("/accounts/login/")["Location"] == "/"


def test_signed_in_visit_of_sign_in_with_next_pointing_at_itself_is_not_a_server_error(signed_in, user):
    response = signed_in(user).get("/accounts/login/?next=/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_required_pages_send_anonymous_visitors_to_sign_in_and_back(client, user):
    response = client.get("/messages/")
    assert response["Location"] == "/accounts/login/?next=/messages/"
    response = client.post(
        response["Location"], {"username": user.username, "password": PASSWORD, "next": "/messages/"}
    )
    assert response["Location"] == "/messages/"


def test_logout_is_a_post_that_signs_out(signed_in, user):
    client = signed_in(user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert "posts/landing.html" in [t.name for t in client.get("/").templates]


def test_password_change_sets_the_new_password_and_keeps_you_signed_in(signed_in, user):
    client = signed_in(user)
    form = client.get("/accounts/password_change/")
    assert form.status_code == 200
    assert unlabelled_fields(text(form)) == []
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "An0ther-secret!", "new_password2": "An0ther-secret!"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/password_change/done/"
    assert "Password changed" in text(response)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Client().login(username=user.username, password="An0ther-secret!")


def test_password_change_with_a_wrong_old_password_is_a_form_error(signed_in, user):
    response = signed_in(user).post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": "An0ther-secret!", "new_password2": "An0ther-secret!"},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_by_email_link_sets_a_new_password(client, user, mailoutbox):
    form = client.get("/accounts/password_reset/")
    assert unlabelled_fields(text(form)) == []
    response = client.post("/accounts/password_reset/", {"email": user.email.upper()}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password_reset/done/"
    assert "Check your email" in text(response)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    path = re.search(r"https?://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)

    response = client.get(path, follow=True)
    assert response.context["validlink"] is True
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": "Brand-new-pass9", "new_password2": "Brand-new-pass9"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/reset/done/"
    assert "Password set" in text(response)

    response = client.post("/accounts/login/", {"username": user.username, "password": "Brand-new-pass9"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(path, follow=True).context["validlink"] is False  # the link works once


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(client, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in text(response)
    assert mailoutbox == []


def _user_updates(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and "accounts_user" in q["sql"]
    ]


def test_last_seen_is_refreshed_at_most_once_a_minute(client):
    user = UserFactory(last_seen=timezone.now() - timedelta(minutes=2))
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(last_seen=timezone.now() - timedelta(minutes=2))
    before = timezone.now()
    with CaptureQueriesContext(connection) as first:
        assert client.get("/explore/").status_code == 200
    assert len(_user_updates(first)) == 1
    user.refresh_from_db()
    assert user.last_seen >= before - timedelta(seconds=1)

    with CaptureQueriesContext(connection) as second:
        assert client.get("/explore/").status_code == 200
    assert _user_updates(second) == []


def test_last_seen_is_set_for_someone_never_seen(client):
    user = UserFactory(last_seen=None)
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(last_seen=None)
    client.get("/explore/")
    user.refresh_from_db()
    assert user.last_seen is not None


def test_anonymous_requests_write_nothing(client):
    with CaptureQueriesContext(connection) as ctx:
        client.get("/explore/")
    assert not [q for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]


def _fail_last_seen_update(error: Exception):
    """An execute_wrapper: the last_seen UPDATE raises `error`, as a database lost after the view answered."""

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and "last_seen" in sql:
            raise error
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db(transaction=True)  # autocommit, as served: in a test's transaction the error would end it
def test_a_database_lost_after_the_view_answered_keeps_the_answer_and_skips_last_seen(client, caplog):
    user = UserFactory(last_seen=None)
    client.force_login(user)
    with connection.execute_wrapper(_fail_last_seen_update(OperationalError("server closed the connection"))):
        response = client.get("/explore/")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.last_seen is None
    (record,) = [r for r in caplog.records if r.name == "accounts.middleware"]
    assert record.levelname == "WARNING"
    assert "last_seen not refreshed, database unavailable: server closed the connection" in record.getMessage()


def test_a_failed_last_seen_statement_that_is_not_an_outage_is_still_an_error(client):
    user = UserFactory(last_seen=None)
    client.force_login(user)
    failing = connection.execute_wrapper(_fail_last_seen_update(DatabaseError("value too long")))
    with failing, pytest.raises(DatabaseError, match="value too long"):
        client.get("/explore/")
