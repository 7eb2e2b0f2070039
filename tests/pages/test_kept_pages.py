"""Pages kept whole in the shared cache (core.pages.cached_page): the feed and the profiles.

A kept page is one viewer's, in one language, with CSRF tokens for the cookie their browser sends; it is
never served with a message waiting to be shown, and a write it shows makes a new one.
"""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.models import Follow
from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.pages.helpers import count_queries, sign_in, text

pytestmark = pytest.mark.django_db

PAGES = ["/", "/user/{other}/"]


@pytest.fixture
def people():
    viewer, other = UserFactory(username="viewer"), UserFactory(username="other")
    PostFactory.create_batch(2, author=other)
    return viewer, other


def _kept(client: Client, url: str) -> str:
    """GET `url` until it is kept (the second read of a profile notes the name's id), then once more from the
    cache (no query at all), and return that page."""
    for _ in range(2):
        assert client.get(url).status_code == 200
    assert count_queries(client, url) == 0
    return text(client.get(url))


def _token(html: str, action: str) -> str:
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no form for {action}"
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1)).group(1)


@pytest.mark.parametrize("url", PAGES)
def test_a_kept_page_is_served_without_a_query_and_with_the_viewers_own_navigation(client, people, url):
    viewer, other = people
    url = url.format(other=other.username)
    html = _kept(sign_in(client, viewer), url)
    assert 'href="/user/viewer/">' in html

    someone_else = sign_in(Client(), UserFactory(username="someone"))
    assert 'href="/user/someone/">' in text(someone_else.get(url))
    assert "/user/someone/" not in text(client.get(url))


def test_each_viewer_sees_their_own_follow_button_on_a_kept_profile(signed_in, people):
    viewer, other = people
    follower = UserFactory()
    FollowFactory(follower=follower, followed=other)
    url = f"/user/{other.username}/"
    assert f'action="/follow/{other.username}/"' in _kept(signed_in(viewer), url)
    assert f'action="/unfollow/{other.username}/"' in _kept(signed_in(follower), url)


@pytest.mark.parametrize("url", PAGES)
def test_the_viewers_new_name_shows_on_pages_kept_before(signed_in, people, url):
    viewer, other = people
    browser = signed_in(viewer)
    url = url.format(other=other.username)
    _kept(browser, url)
    response = browser.post("/edit_profile/", {"username": "renamed", "email": viewer.email})
    assert response.status_code == 302, response.content.decode()[:500]
    html = text(browser.get(url))
    assert 'href="/user/renamed/">' in html
    assert 'href="/user/viewer/">' not in html


def test_the_forms_of_a_kept_page_carry_tokens_that_pass_the_csrf_check(people):
    viewer, other = people
    browser = sign_in(Client(enforce_csrf_checks=True), viewer)
    url = f"/user/{other.username}/"
    token = _token(_kept(browser, url), f"/follow/{other.username}/")
    assert browser.post(f"/follow/{other.username}/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert Follow.objects.filter(follower=viewer, followed=other).exists()


def test_a_browser_with_a_new_csrf_cookie_gets_tokens_for_it(people):
    """A kept page's tokens were made for the cookie it was asked with; another cookie gets a page of its own."""
    viewer, other = people
    browser = sign_in(Client(enforce_csrf_checks=True), viewer)
    url = f"/user/{other.username}/"
    _kept(browser, url)
    browser.cookies[settings.CSRF_COOKIE_NAME] = "b" * 32  # another browser's, or a new one after a sign-in
    token = _token(text(browser.get(url)), f"/follow/{other.username}/")
    assert browser.post(f"/follow/{other.username}/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert Follow.objects.filter(follower=viewer, followed=other).exists()


def test_a_message_waiting_is_shown_on_a_page_that_was_kept(signed_in, people):
    viewer, _ = people
    browser = signed_in(viewer)
    own = f"/user/{viewer.username}/"
    _kept(browser, own)
    # Following oneself is refused with a message, and writes nothing that would change the page.
    response = browser.post(f"/follow/{viewer.username}/", follow=True)
    assert response.redirect_chain[-1][0] == own
    assert 'role="alert"' in text(response)
    assert 'role="alert"' not in text(browser.get(own))  # shown once


def test_each_language_has_its_own_kept_page(signed_in, people):
    viewer, _ = people
    browser = signed_in(viewer)
    english = _kept(browser, "/")
    browser.post("/i18n/setlang/", {"language": "hi", "next": "/"})
    hindi = text(browser.get("/"))
    assert '<html lang="hi">' in hindi
    assert '<html lang="en">' in english
    browser.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in text(browser.get("/"))


def test_a_page_asked_for_without_a_csrf_cookie_is_not_kept(people):
    """Its tokens are for the cookie made for that answer alone: a second browser without one (or the same one
    again) must get tokens for the cookie its own answer sets."""
    viewer, _ = people
    browser = sign_in(Client(enforce_csrf_checks=True), viewer)
    for _ in range(3):
        browser.cookies.pop(settings.CSRF_COOKIE_NAME, None)
        token = _token(text(browser.get("/")), "/i18n/setlang/")
        response = browser.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
        assert response.status_code == 302


@pytest.mark.parametrize("url", PAGES)
def test_an_edit_that_keeps_the_viewers_name_keeps_their_pages(signed_in, people, url):
    """The layout shows the viewer's username only: an edit of their other fields makes no page render again."""
    viewer, other = people
    browser = signed_in(viewer)
    url = url.format(other=other.username)
    _kept(browser, url)
    edit = {"username": viewer.username, "email": viewer.email, "about_me": "New"}
    response = browser.post("/edit_profile/", edit, follow=True)  # the page it leads to shows "saved"
    assert response.redirect_chain, response.content.decode()[:500]
    with CaptureQueriesContext(connection) as queries:
        html = text(browser.get(url))
    assert 'href="/user/viewer/">' in html
    assert [q["sql"] for q in queries if "posts_post" in q["sql"]] == []  # served kept: no page was read


def test_a_profile_read_again_looks_up_the_names_id_once(client, people, monkeypatch):
    """The view's key and the person's read both start from the id the name last had: read once, not twice."""
    _, other = people
    url = f"/user/{other.username}/"
    assert client.get(url).status_code == 200  # the first visit notes the name's id
    other.about_me = "Changed"  # the person's scope moves on: the next visit renders again
    other.save()
    reads = []
    monkeypatch.setattr(selectors, "user_id_hint", lambda username: reads.append(username) or other.pk)

    assert "Changed" in text(client.get(url))
    assert reads == [other.username]
