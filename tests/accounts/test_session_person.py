"""The signed-in person of a session is read from the shared cache (GuardedModelBackend.get_user), under the
versions of their row: every change to it shows at their next request, in any worker."""

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import MessageFactory, UserFactory
from tests.pages.helpers import count_queries, sign_in
from tests.test_freshness import change_in_admin

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _signed_in_and_kept(person: User) -> Client:
    browser = sign_in(Client(), person)
    assert browser.get("/").status_code == 200  # the person read, and kept
    return browser


def test_a_signed_in_request_reads_no_row_of_the_person_once_they_are_kept():
    person = UserFactory()
    browser = _signed_in_and_kept(person)
    assert count_queries(browser, "/") == 0  # the page is kept too: nothing else to read


def test_a_password_changed_in_another_session_signs_this_one_out_at_its_next_request():
    person = UserFactory()
    browser = _signed_in_and_kept(person)
    elsewhere = sign_in(Client(), person)
    new = "An0ther-secret!"
    response = elsewhere.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert browser.get("/").templates[0].name == "posts/landing.html"
    assert elsewhere.get("/").templates[0].name == "posts/index.html"  # the session that changed it stays


def test_a_password_saved_alone_signs_the_sessions_out_too():
    """Saving only the password (as Django's re-hashing at sign-in does) shows no field anyone sees, but the
    sessions' check of it must read the new one."""
    person = UserFactory()
    browser = _signed_in_and_kept(person)
    person.set_password("An0ther-secret!")
    person.save(update_fields=["password"])
    assert browser.get("/").templates[0].name == "posts/landing.html"


def test_a_person_deactivated_in_the_admin_is_signed_out_at_their_next_request(admin_client):
    person = UserFactory()
    browser = _signed_in_and_kept(person)
    change_in_admin(admin_client, person, unset=("is_active",))
    assert not User.objects.get(pk=person.pk).is_active
    assert browser.get("/").templates[0].name == "posts/landing.html"
    assert browser.get("/edit_profile/").status_code == 302  # to the sign-in page


def test_reading_ones_messages_shows_at_the_next_request_as_nothing_unread():
    person = UserFactory()
    MessageFactory.create_batch(2, recipient=person)
    browser = _signed_in_and_kept(person)
    unread = {item["name"]: item["data"] for item in browser.get("/notifications/").json()}
    assert unread["unread_message_count"] == 2
    assert browser.get("/messages/").status_code == 200  # marks them read (an update() of the person's row)
    unread = {item["name"]: item["data"] for item in browser.get("/notifications/").json()}
    assert unread["unread_message_count"] == 0
