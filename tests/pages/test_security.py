"""CSRF on every POST and escaping of user text on every page that shows it."""

import pytest
from django.test import Client

from accounts.models import Follow, User
from posts.models import Message, Post
from tests.factories import DepartmentFactory, FollowFactory, MessageFactory, PostFactory, UserFactory
from tests.pages.helpers import ESCAPED_SCRIPT, RAW_SCRIPT, csrf_token, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return UserFactory(username="me", about_me="Plain")


@pytest.fixture
def ravi():
    return UserFactory(username="ravi")


# url, data, the page whose form carries the token, what proves the POST did (or did not) act
CSRF_POSTS = {
    "post": ("/", {"body": "hello"}, "/", lambda me, ravi: Post.objects.exists()),
    "follow": ("/follow/ravi/", {}, "/user/ravi/", lambda me, ravi: Follow.objects.filter(follower=me).exists()),
    "unfollow": (
        "/unfollow/ravi/",
        {},
        "/user/ravi/",
        lambda me, ravi: not Follow.objects.filter(follower=me).exists(),
    ),
    "send_message": (
        "/send_message/ravi/",
        {"body": "hi"},
        "/send_message/ravi/",
        lambda me, ravi: Message.objects.exists(),
    ),
    "edit_profile": (
        "/edit_profile/",
        {"username": "me", "about_me": "Changed"},
        "/edit_profile/",
        lambda me, ravi: User.objects.get(pk=me.pk).about_me == "Changed",
    ),
    "logout": ("/accounts/logout/", {}, "/explore/", lambda me, ravi: False),
}


@pytest.mark.parametrize("name", CSRF_POSTS)
def test_every_post_without_a_csrf_token_is_refused(signed_in, me, ravi, name):
    url, data, _, acted = CSRF_POSTS[name]
    if name == "unfollow":
        FollowFactory(follower=me, followed=ravi)
    client = signed_in(me, enforce_csrf_checks=True)
    client.get("/explore/")  # the CSRF cookie is set, only the form token is missing
    assert client.post(url, data).status_code == 403
    assert not acted(me, ravi)
    assert client.session.get("_auth_user_id") == str(me.pk)  # logout refused too


@pytest.mark.parametrize("name", CSRF_POSTS)
def test_every_post_with_the_pages_csrf_token_is_accepted(signed_in, me, ravi, name):
    url, data, form_page, acted = CSRF_POSTS[name]
    if name == "unfollow":
        FollowFactory(follower=me, followed=ravi)
    client = signed_in(me, enforce_csrf_checks=True)
    response = client.post(url, data | {"csrfmiddlewaretoken": csrf_token(client, form_page)})
    assert response.status_code == 302
    if name == "logout":
        assert "_auth_user_id" not in client.session
    else:
        assert acted(me, ravi)


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/register/"])
def test_sign_in_and_register_need_a_csrf_token(url):
    client = Client(enforce_csrf_checks=True)
    client.get(url)
    assert client.post(url, {"username": "x", "password": "y"}).status_code == 403


@pytest.fixture
def hostile(me):
    """A post, about_me, full_name and message carrying a script, all visible to `me`."""
    author = UserFactory(username="mallory", about_me=RAW_SCRIPT, full_name=RAW_SCRIPT)
    FollowFactory(follower=me, followed=author)
    PostFactory(author=author, body=f"Look {RAW_SCRIPT}")  # "look": PostgreSQL skips words inside <script>
    MessageFactory(sender=author, recipient=me, body=RAW_SCRIPT)
    return author


@pytest.mark.parametrize(
    "url", ["/", "/explore/", "/user/mallory/", "/user/mallory/popup/", "/messages/", "/search/?q=look"]
)
def test_user_text_is_escaped(signed_in, me, hostile, url):
    html = text(signed_in(me).get(url))
    assert ESCAPED_SCRIPT in html
    assert RAW_SCRIPT not in html


def test_the_search_query_is_escaped_in_the_page(client):
    html = text(client.get("/search/", {"q": '"><script>alert(1)</script>'}))
    assert "&quot;&gt;" + ESCAPED_SCRIPT in html
    assert RAW_SCRIPT not in html


def test_organization_names_are_escaped(client):
    DepartmentFactory(name=RAW_SCRIPT[:50])
    html = text(client.get("/organization/"))
    assert ESCAPED_SCRIPT in html
    assert RAW_SCRIPT not in html


def test_pages_forbid_framing_and_sniffing(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
