"""The cards of a page of posts (posts/templatetags/cards.py): kept per post in the shared cache, read at once."""

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template.loader import render_to_string
from django.utils import translation

from core import caching
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def card_key(post, language="en") -> str:
    return make_template_fragment_key(
        "post_card", [post.pk, post.body, post.timestamp, post.author_id, post.author.username, language]
    )


def explore(client) -> str:
    caching.invalidate_all()  # the page of cards is kept whole too: make it read its cards again
    response = client.get("/explore/")
    assert response.status_code == 200
    return response.content.decode()


def test_every_card_is_the_card_template_and_is_kept_under_its_posts_key(client):
    posts = PostFactory.create_batch(3)
    html = explore(client)
    for post in posts:
        with translation.override("en"):
            card = render_to_string("includes/post_card.html", {"post": post})
        assert card in html
        assert cache.get(card_key(post)) == card


def test_a_kept_card_is_shown_as_kept_and_a_new_post_is_rendered(client):
    kept, fresh = PostFactory(body="kept"), PostFactory.build(body="fresh")
    explore(client)
    cache.set(card_key(kept), '<article class="post">from the cache</article>')
    fresh.author.save()
    fresh.save()
    html = explore(client)
    assert "from the cache" in html  # read, not rendered again
    assert "fresh" in html and cache.get(card_key(fresh)) is not None


def test_a_renamed_author_gets_new_cards_in_every_language(client):
    author = UserFactory(username="before")
    post = PostFactory(author=author)
    explore(client)
    old_key = card_key(post)
    author.username = "after"
    author.save()
    post.refresh_from_db()
    html = explore(client)
    assert card_key(post) != old_key and "after" in html and "before" not in html
    client.cookies["django_language"] = "hi"
    assert 'lang="hi"' in explore(client)
    assert cache.get(card_key(post, "hi")) is not None


def test_a_page_of_cards_is_one_entry_replaced_when_its_list_changes(client):
    """{% kept_cards %}: one entry per list, page and language, whatever the versions (a key with the versions
    in it would leave one behind at every post)."""
    PostFactory(body="first post")
    assert "first post" in client.get("/explore/").content.decode()
    at, html = cache.get("cards:posts:1:en")
    assert "first post" in html
    PostFactory(body="second post")
    assert "second post" in client.get("/explore/").content.decode()
    new_at, new_html = cache.get("cards:posts:1:en")
    assert new_at != at and "second post" in new_html and "first post" in new_html
