"""Private messages: the send form, the inbox and the notifications JSON."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Message
from tests.factories import MessageFactory, UserFactory
from tests.pages.helpers import follow_link, link, text, unlabelled_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def ravi():
    return UserFactory(username="ravi")


def inbox(response) -> list[str]:
    return re.findall(r'<p class="mb-0 message-body">([^<]*)</p>', text(response))


def test_send_message_form_is_labelled_and_names_the_recipient(signed_in, user, ravi):
    response = signed_in(user).get("/send_message/ravi/")
    assert response.status_code == 200
    html = text(response)
    assert "Message to ravi" in html
    assert '<textarea name="body"' in html
    assert unlabelled_fields(html) == []


@pytest.mark.parametrize("body", ["x", "é" * 140])
def test_sending_a_message_saves_it_and_redirects_to_the_recipient(signed_in, user, ravi, body):
    client = signed_in(user)
    response = client.post("/send_message/ravi/", {"body": body})
    assert response.status_code == 302
    assert response["Location"] == "/user/ravi/"
    message = Message.objects.get()
    assert (message.sender, message.recipient, message.body) == (user, ravi, body)
    assert "Your message to ravi has been sent." in text(client.get("/user/ravi/"))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "This field is required."),
        ("  ", "This field is required."),
        ("x" * 141, "Ensure this value has at most 140 characters (it has 141)."),
    ],
    ids=["empty", "blank", "141-chars"],
)
def test_a_bad_message_shows_the_form_error_and_saves_nothing(signed_in, user, ravi, body, error):
    response = signed_in(user).post("/send_message/ravi/", {"body": body})
    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [error]
    assert error in text(response)
    assert not Message.objects.exists()


def test_sending_to_an_unknown_username_is_404(signed_in, user):
    assert signed_in(user).post("/send_message/nobody/", {"body": "hi"}).status_code == 404


def test_sending_needs_sign_in(client, ravi):
    response = client.post("/send_message/ravi/", {"body": "hi"})
    assert response["Location"] == "/accounts/login/?next=/send_message/ravi/"
    assert not Message.objects.exists()


def test_messages_page_lists_received_messages_newest_first_with_their_sender(signed_in, ravi):
    now = timezone.now()
    MessageFactory(recipient=ravi, body="older", timestamp=now - timedelta(hours=1))
    latest = MessageFactory(recipient=ravi, body="newer", timestamp=now)
    MessageFactory(sender=ravi, body="sent by ravi")
    MessageFactory(body="someone else's")
    response = signed_in(ravi).get("/messages/")
    assert response.status_code == 200
    assert inbox(response) == ["newer", "older"]
    assert f'href="/user/{latest.sender.username}/"' in text(response)


def test_messages_page_with_nothing_says_so(signed_in, ravi):
    assert "No messages." in text(signed_in(ravi).get("/messages/"))


def test_messages_page_needs_sign_in_and_is_get_only(client, signed_in, ravi):
    assert client.get("/messages/")["Location"] == "/accounts/login/?next=/messages/"
    assert signed_in(ravi).post("/messages/").status_code == 405


def test_messages_page_paginates_with_working_older_and_newer_links(signed_in, ravi):
    now = timezone.now()
    for i in range(27):
        MessageFactory(recipient=ravi, body=f"msg-{i:02d}", timestamp=now - timedelta(minutes=i))
    client = signed_in(ravi)
    first = client.get("/messages/")
    assert inbox(first) == [f"msg-{i:02d}" for i in range(25)]
    assert link(first, "prev") is None
    second = follow_link(client, first, "next")
    assert inbox(second) == ["msg-25", "msg-26"]
    assert link(second, "next") is None
    assert inbox(follow_link(client, second, "prev")) == inbox(first)


def notifications(client, since=None):
    response = client.get("/notifications/", {} if since is None else {"since": since})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_a_new_message_is_reported_as_one_unread(signed_in, ravi):
    message = MessageFactory(recipient=ravi)
    (item,) = notifications(signed_in(ravi), since=0)
    assert set(item) == {"name", "data", "timestamp"}
    assert item["name"] == "unread_message_count"
    assert item["data"] == 1
    assert item["timestamp"] == pytest.approx(message.timestamp.timestamp(), abs=1e-5)


def test_notifications_without_since_report_everything(signed_in, ravi):
    MessageFactory.create_batch(2, recipient=ravi)
    assert notifications(signed_in(ravi))[0]["data"] == 2


def test_nothing_new_since_the_returned_timestamp(signed_in, ravi):
    MessageFactory(recipient=ravi)
    client = signed_in(ravi)
    (item,) = notifications(client, since=0)
    assert notifications(client, since=item["timestamp"]) == []
    assert notifications(client, since=repr(item["timestamp"])) == []


def test_a_message_after_the_returned_timestamp_is_reported(signed_in, ravi):
    MessageFactory(recipient=ravi, timestamp=timezone.now() - timedelta(minutes=1))
    client = signed_in(ravi)
    (item,) = notifications(client, since=0)
    MessageFactory(recipient=ravi)
    (again,) = notifications(client, since=item["timestamp"])
    assert again["data"] == 2
    assert again["timestamp"] > item["timestamp"]


def test_no_messages_means_no_notifications(signed_in, ravi):
    assert notifications(signed_in(ravi), since=0) == []


def test_opening_the_messages_page_marks_them_read(signed_in, ravi):
    MessageFactory.create_batch(3, recipient=ravi)
    client = signed_in(ravi)
    assert notifications(client, since=0)[0]["data"] == 3
    client.get("/messages/")
    (item,) = notifications(client, since=0)
    assert item["data"] == 0
    MessageFactory(recipient=ravi)
    assert notifications(client, since=item["timestamp"])[0]["data"] == 1


@pytest.mark.parametrize("since", ["abc", "", "nan", "inf", "-inf", "1e400", "1e20", "-1e20"])
def test_a_bad_since_is_a_400_json_error(signed_in, ravi, since):
    response = signed_in(ravi).get("/notifications/", {"since": since})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "since" in response.json()["detail"]


def test_notifications_need_sign_in(client):
    response = client.get("/notifications/?since=0")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/notifications/")


def test_signed_in_pages_tell_the_script_where_to_poll(signed_in, ravi, client):
    assert 'data-notifications-url="/notifications/"' in text(signed_in(ravi).get("/explore/"))
    assert "data-notifications-url" not in text(client.get("/explore/"))
