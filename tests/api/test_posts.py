"""The posts API: /api/posts/ and /api/feed/."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.counting import posts_added
from posts.models import Post
from tests.factories import FollowFactory, PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

POSTS = "/api/posts/"
FEED = "/api/feed/"
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def hours(n):
    return T0 + dt.timedelta(hours=n)


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def assert_json(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture
def post():
    return PostFactory(body="original", timestamp=T0)


@pytest.fixture
def client_as(api_client, client_for, post):
    """client_as(role) for role in anonymous, other, owner (of `post`), staff."""

    def make(role):
        users = {"other": UserFactory, "owner": lambda: post.author, "staff": lambda: StaffFactory()}
        return api_client if role == "anonymous" else client_for(users[role]())

    return make


ROLES = ("anonymous", "other", "owner", "staff")
MATRIX = {
    ("get", "list"): (200, 200, 200, 200),
    ("get", "detail"): (200, 200, 200, 200),
    ("post", "list"): (401, 201, 201, 201),
    ("patch", "detail"): (401, 403, 200, 200),
    ("delete", "detail"): (401, 403, 204, 204),
    ("get", "feed"): (401, 200, 200, 200),
}


@pytest.mark.parametrize(
    ("method", "target", "role", "status"),
    [(*key, role, status) for key, statuses in MATRIX.items() for role, status in zip(ROLES, statuses, strict=True)],
)
def test_who_may_do_what_with_posts(client_as, post, method, target, role, status):
    url = {"list": POSTS, "detail": f"{POSTS}{post.pk}/", "feed": FEED}[target]
    response = getattr(client_as(role), method)(url, {"body": "edited"} if method in ("post", "patch") else None)
    assert response.status_code == status, response.content
    if status != 204:
        assert response["Content-Type"] == "application/json"
    assert Post.objects.filter(body="edited").count() == (1 if status in (200, 201) and method != "get" else 0)
    assert Post.objects.filter(pk=post.pk).exists() == (status != 204)


EVERY_PERMISSION = {
    f"posts.{action}_{model}" for action in ("add", "change", "delete", "view") for model in ("post", "message")
}


@pytest.mark.parametrize(
    ("method", "needed", "status"), [("patch", "posts.change_post", 200), ("delete", "posts.delete_post", 204)]
)
def test_staff_change_someone_elses_post_with_the_permission_for_that_action(client_for, post, method, needed, status):
    """As in the admin: staff status alone, or every other permission, is not enough."""
    data = {"body": "edited"} if method == "patch" else None
    for permissions in ([], EVERY_PERMISSION - {needed}):
        response = getattr(client_for(StaffFactory(permissions=permissions)), method)(f"{POSTS}{post.pk}/", data)
        assert response.status_code == 403, response.content
        assert Post.objects.get(pk=post.pk).body == "original"
    response = getattr(client_for(StaffFactory(permissions=[needed])), method)(f"{POSTS}{post.pk}/", data)
    assert response.status_code == status, response.content
    assert list(Post.objects.filter(pk=post.pk).values_list("body", flat=True)) == (["edited"] if status == 200 else [])


def test_a_post_shows_exactly_id_body_utc_timestamp_and_author(api_client, post):
    data = assert_json(api_client.get(f"{POSTS}{post.pk}/"), 200)
    assert set(data) == {"id", "body", "timestamp", "author"}
    assert data["timestamp"] == "2024-05-01T12:00:00Z"
    assert set(data["author"]) == {"id", "username", "avatar"}
    assert data["author"]["id"] == post.author.pk
    assert data["author"]["username"] == post.author.username
    assert data["author"]["avatar"].endswith(reverse("avatar", kwargs={"pk": post.author.pk}))


def test_timestamp_stays_utc_when_the_display_time_zone_is_not(api_client, post, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    assert api_client.get(f"{POSTS}{post.pk}/").json()["timestamp"] == "2024-05-01T12:00:00Z"


def test_list_is_newest_first_and_ties_go_to_the_higher_id(api_client):
    old, tie_a, tie_b, new = (PostFactory(timestamp=hours(n)) for n in (-1, 0, 0, 1))
    assert ids(api_client.get(POSTS)) == [new.pk, tie_b.pk, tie_a.pk, old.pk]


def test_filters_by_author_id_and_by_username_in_any_case(api_client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    mine = PostFactory(author=alice)
    PostFactory(author=bob)
    assert ids(api_client.get(POSTS, {"author": alice.pk})) == [mine.pk]
    assert ids(api_client.get(POSTS, {"author__username": "ALICE"})) == [mine.pk]
    assert ids(api_client.get(POSTS, {"author__username": "nobody"})) == []


def test_since_and_until_are_inclusive_iso_8601_bounds(api_client):
    before, start, inside, end, after = (PostFactory(timestamp=hours(n)) for n in (-1, 0, 1, 2, 3))
    params = {"since": hours(0).isoformat(), "until": hours(2).isoformat().replace("+00:00", "Z")}
    assert ids(api_client.get(POSTS, params)) == [end.pk, inside.pk, start.pk]
    assert ids(api_client.get(POSTS, {"since": "2024-05-01T14:30:00+02:00"})) == [after.pk, end.pk, inside.pk]
    assert ids(api_client.get(POSTS, {"until": hours(-1).isoformat()})) == [before.pk]


def test_search_matches_the_body_in_any_case(api_client):
    hit = PostFactory(body="Coffee at noon?")
    PostFactory(body="Tea at five")
    assert ids(api_client.get(POSTS, {"search": "coffee"})) == [hit.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"author": "abc"},
        {"since": "notadate"},
        {"until": "2024-13-45T99:00:00"},
        {"since": "yesterday", "author": "1"},
        {"search": "a\x00b"},
        {"author": "1.5"},
    ],
)
def test_malformed_filter_is_a_400_in_json(api_client, params):
    PostFactory()
    assert assert_json(api_client.get(POSTS, params), 400)


@pytest.mark.parametrize(
    "params",
    [{"author": str(2**64)}, {"since": "0001-01-01T00:00:00+14:00"}, {"until": "9999-12-31T23:59:59-14:00"}],
)
def test_out_of_range_filter_is_a_400(api_client, params):
    PostFactory()
    response = api_client.get(POSTS, params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_create_posts_as_the_requester_whatever_the_payload_says(client_for, user):
    someone_else = UserFactory()
    payload = {"body": "  Hello  ", "author": someone_else.pk, "id": 999, "timestamp": "2000-01-01T00:00:00Z"}
    data = assert_json(client_for(user).post(POSTS, payload), 201)
    post = Post.objects.get()
    assert (post.author, post.body, data["id"], data["body"]) == (user, "Hello", post.pk, "Hello")
    assert data["author"]["id"] == user.pk
    assert not data["timestamp"].startswith("2000")


@pytest.mark.parametrize("body", ["x" * 140, "é" * 140, "😀" * 140, "<script>alert(1)</script>"])
def test_body_up_to_140_characters_comes_back_unchanged_as_json(client_for, user, body):
    created = assert_json(client_for(user).post(POSTS, {"body": body}), 201)
    assert created["body"] == body
    assert assert_json(client_for(user).get(f"{POSTS}{created['id']}/"), 200)["body"] == body
    assert Post.objects.get().body == body


@pytest.mark.parametrize("payload", [{"body": ""}, {"body": "   "}, {"body": "x" * 141}, {"body": None}, {}])
def test_bad_body_is_a_400_and_nothing_is_created(client_for, user, payload):
    assert "body" in assert_json(client_for(user).post(POSTS, payload), 400)
    assert not Post.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "é" * 141, None])
def test_patch_with_a_bad_body_is_a_400_and_nothing_changes(client_for, post, body):
    assert "body" in assert_json(client_for(post.author).patch(f"{POSTS}{post.pk}/", {"body": body}), 400)
    post.refresh_from_db()
    assert post.body == "original"


def test_patch_changes_the_body_only(client_for, post):
    payload = {"body": "edited", "author": UserFactory().pk, "timestamp": "2000-01-01T00:00:00Z"}
    data = assert_json(client_for(post.author).patch(f"{POSTS}{post.pk}/", payload), 200)
    post.refresh_from_db()
    assert (post.body, post.timestamp, data["author"]["id"]) == ("edited", T0, post.author_id)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_unknown_post_is_a_404_in_json(client_for, user, method, pk):
    assert "detail" in assert_json(getattr(client_for(user), method)(f"{POSTS}{pk}/", {"body": "x"}), 404)


def test_feed_has_own_and_followed_posts_newest_first_but_no_strangers(client_for, user):
    followed = UserFactory.create_batch(3)
    for person in followed:
        FollowFactory(follower=user, followed=person)
    FollowFactory(follower=UserFactory(), followed=user)  # a follower is not followed
    expected = [PostFactory(author=author, timestamp=hours(n)) for n, author in enumerate([user, *followed])]
    PostFactory(author=UserFactory(), timestamp=hours(10))
    assert ids(client_for(user).get(FEED)) == [p.pk for p in reversed(expected)]


def test_list_is_paginated_20_by_default_and_100_at_most(api_client):
    author = UserFactory()
    Post.objects.bulk_create(Post(author=author, body=f"post {n}", timestamp=hours(n)) for n in range(105))
    posts_added(105)  # bulk_create sends no signals: its caller counts the posts (posts.counting)
    first = assert_json(api_client.get(POSTS), 200)
    assert set(first) == {"count", "next", "previous", "results"}
    assert (first["count"], len(first["results"]), first["previous"]) == (105, 20, None)
    assert first["results"][0]["body"] == "post 104"
    second = api_client.get(first["next"]).json()
    assert second["results"][0]["body"] == "post 84"
    assert second["previous"] is not None
    assert len(api_client.get(POSTS, {"page_size": 1000}).json()["results"]) == 100
    last = api_client.get(POSTS, {"page_size": 50, "page": 3}).json()
    assert (len(last["results"]), last["next"]) == (5, None)
    assert "detail" in assert_json(api_client.get(POSTS, {"page": 99}), 404)


def posts_by_many_authors(count):
    authors = UserFactory.create_batch(min(count, 10))
    for n in range(count):
        PostFactory(author=authors[n % len(authors)], timestamp=hours(n))
    return authors


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("url", [f"{POSTS}?page_size=50", f"{FEED}?page_size=50"])
def test_post_lists_run_three_queries_for_1_or_50_posts(client_for, user, url, django_assert_max_num_queries):
    client = client_for(user)
    for author in posts_by_many_authors(1):
        FollowFactory(follower=user, followed=author)
    one = query_count(client, url)
    for author in posts_by_many_authors(49):
        FollowFactory(follower=user, followed=author)
    fifty = query_count(client, url)
    assert (one[1], fifty[1]) == (1, 50)
    assert one[0] == fifty[0]
    with django_assert_max_num_queries(3):  # token, count, page
        client.get(url)


def test_anonymous_post_list_runs_two_queries(api_client, django_assert_num_queries):
    posts_by_many_authors(30)
    with django_assert_num_queries(2):  # count, page
        assert len(api_client.get(POSTS).json()["results"]) == 20


def test_a_post_is_its_insert_and_its_count_once_its_author_is_known(client_for, user):
    """The author is the signed-in person, read (and kept) for the request: not checked again by a query.

    The post's row, then the number of posts (posts.counting), in one transaction.
    """
    client = client_for(user)
    for _ in range(2):  # whose the token is, then their row: both kept (tests/api/test_token_cache.py)
        assert client.get("/api/users/me/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.post(POSTS, {"body": "one statement"}, format="json")
    assert response.status_code == 201, response.json()
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements
    assert statements[0].startswith("INSERT") and "posts_post" in statements[0], statements
    assert statements[1].startswith("UPDATE") and "posts_postcounter" in statements[1], statements
