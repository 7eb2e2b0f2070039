"""The home page (landing or post form + feed) and /explore/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Post
from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.pages.helpers import follow_link, link, text, unlabelled_fields

pytestmark = pytest.mark.django_db


def make_posts(n, prefix="post", **kwargs):
    """`n` posts "prefix-00" (newest) … a minute apart, oldest last."""
    now = timezone.now()
    return [PostFactory(body=f"{prefix}-{i:02d}", timestamp=now - timedelta(minutes=i), **kwargs) for i in range(n)]


def shown(response, prefix="post") -> list[str]:
    """The bodies "prefix-NN" on the page, in page order."""
    return re.findall(rf'<p class="mb-0 post-body">({prefix}-\d\d)</p>', text(response))


def test_anonymous_home_is_a_landing_page_with_explore_sign_in_and_register_links(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "posts/landing.html" in [t.name for t in response.templates]
    html = text(response)
    for href in ('href="/explore/"', 'href="/accounts/login/"', 'href="/accounts/register/"'):
        assert href in html
    assert 'name="body"' not in html


def test_base_layout_has_navigation(client):
    html = text(client.get("/explore/"))
    for href in ('href="/"', 'href="/explore/"', 'href="/organization/"', 'action="/search/"'):
        assert href in html


def test_signed_in_navigation_has_messages_profile_and_sign_out(signed_in, user):
    html = text(signed_in(user).get("/"))
    assert 'href="/messages/"' in html
    assert f'href="/user/{user.username}/"' in html
    assert 'action="/accounts/logout/"' in html
    assert 'href="/accounts/login/"' not in html


def test_signed_in_home_has_the_post_form_with_labelled_fields(signed_in, user):
    response = signed_in(user).get("/")
    assert response.status_code == 200
    html = text(response)
    assert '<textarea name="body"' in html
    assert 'maxlength="140"' in html
    assert unlabelled_fields(html) == []


def test_feed_shows_followed_and_own_posts_newest_first_not_strangers(signed_in):
    me, friend, stranger = UserFactory.create_batch(3)
    FollowFactory(follower=me, followed=friend)
    now = timezone.now()
    PostFactory(author=me, body="post-02", timestamp=now - timedelta(minutes=2))
    PostFactory(author=friend, body="post-01", timestamp=now - timedelta(minutes=1))
    PostFactory(author=stranger, body="post-00", timestamp=now)
    assert shown(signed_in(me).get("/")) == ["post-01", "post-02"]


@pytest.mark.parametrize("body", ["x", "é" * 140, "  padded  "])
def test_posting_a_valid_body_redirects_and_saves_the_post(signed_in, user, body):
    client = signed_in(user)
    response = client.post("/", {"body": body})
    assert response.status_code == 302
    assert response["Location"] == "/"
    post = Post.objects.get()
    assert (post.author, post.body) == (user, body.strip())
    assert post.body in text(client.get("/"))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 141, "Ensure this value has at most 140 characters (it has 141)."),
    ],
    ids=["empty", "blank", "141-chars"],
)
def test_posting_a_bad_body_shows_the_form_with_the_error_and_saves_nothing(signed_in, user, body, error):
    response = signed_in(user).post("/", {"body": body})
    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [error]
    assert error in text(response)
    assert 'class="invalid-feedback d-block"' in text(response)
    assert not Post.objects.exists()


def test_posting_requires_sign_in(client):
    response = client.post("/", {"body": "hello"})
    assert response.status_code == 200  # the landing page; nothing is posted
    assert not Post.objects.exists()


def test_explore_shows_all_posts_newest_first(client):
    make_posts(3)
    response = client.get("/explore/")
    assert response.status_code == 200
    assert shown(response) == ["post-00", "post-01", "post-02"]


def test_explore_links_each_author_with_a_hover_card(client):
    post = PostFactory()
    html = text(client.get("/explore/"))
    assert f'href="/user/{post.author.username}/"' in html
    assert f'data-popup-url="/user/{post.author.username}/popup/"' in html
    assert f'src="/avatar/{post.author_id}.svg"' in html


def test_explore_is_get_only(signed_in, user):
    assert signed_in(user).post("/explore/", {"body": "x"}).status_code == 405


def test_explore_with_nothing_says_so(client):
    assert "No posts yet." in text(client.get("/explore/"))


def test_explore_paginates_25_a_page_with_working_older_and_newer_links(client):
    make_posts(55)
    first = client.get("/explore/")
    assert shown(first) == [f"post-{i:02d}" for i in range(25)]
    assert link(first, "prev") is None
    assert "Page 1 of 3" in text(first)
    second = follow_link(client, first, "next")
    assert shown(second) == [f"post-{i:02d}" for i in range(25, 50)]
    third = follow_link(client, second, "next")
    assert shown(third) == [f"post-{i:02d}" for i in range(50, 55)]
    assert link(third, "next") is None
    assert shown(follow_link(client, third, "prev")) == shown(second)
    assert shown(follow_link(client, second, "prev")) == shown(first)


def test_feed_paginates_with_working_older_and_newer_links(signed_in, user):
    make_posts(30, author=user)
    client = signed_in(user)
    first = client.get("/")
    assert shown(first) == [f"post-{i:02d}" for i in range(25)]
    second = follow_link(client, first, "next")
    assert shown(second) == [f"post-{i:02d}" for i in range(25, 30)]
    assert shown(follow_link(client, second, "prev")) == shown(first)


@pytest.mark.parametrize("page", ["0", "99", "abc", "-1"])
def test_an_out_of_range_or_bad_page_number_shows_the_nearest_page(client, page):
    make_posts(30)
    assert client.get(f"/explore/?page={page}").status_code == 200
