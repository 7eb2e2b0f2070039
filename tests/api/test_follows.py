"""Following people through the API, and the followers/following lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Follow
from tests.factories import DesignationFactory, FollowFactory, PostFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def follow_url(user_or_id):
    return f"/api/users/{getattr(user_or_id, 'pk', user_or_id)}/follow/"


def names(response):
    assert response.status_code == 200, response.content
    return sorted(row["username"] for row in response.json()["results"])


# --- Follow and unfollow ----------------------------------------------------------------


def test_follow_is_201_and_shows_the_followed_user_with_fresh_counts(client_for):
    ann, ben = UserFactory.create_batch(2)
    FollowFactory(followed=ben)

    response = client_for(ann).post(follow_url(ben))

    assert response.status_code == 201
    body = response.json()
    assert (body["id"], body["follower_count"], body["following_count"]) == (ben.pk, 2, 0)
    assert body["email"] is None  # ben's contact fields stay private to ann
    assert Follow.objects.filter(follower=ann, followed=ben).exists()


def test_a_new_follow_is_written_first_and_read_back_once(client_for):
    """Who it is (the id alone), the row, the answer: no look for an existing row first (get_or_create's)."""
    ann, ben = UserFactory.create_batch(2)
    client = client_for(ann)
    for _ in range(2):
        client.get("/api/feed/")  # whose the token is, then that person's row: both in the cache
    with CaptureQueriesContext(connection) as queries:
        assert client.post(follow_url(ben)).status_code == 201
    statements = [q["sql"].split()[0].upper() for q in queries if "SAVEPOINT" not in q["sql"].upper()]
    assert statements == ["SELECT", "INSERT", "SELECT"], [q["sql"][:80] for q in queries]
    assert '"accounts_user"."email"' not in queries[0]["sql"]  # the id only


def test_following_again_is_200_and_creates_no_duplicate(client_for):
    ann, ben = UserFactory.create_batch(2)
    client = client_for(ann)
    assert client.post(follow_url(ben)).status_code == 201

    response = client.post(follow_url(ben))

    assert response.status_code == 200
    assert response.json()["follower_count"] == 1
    assert Follow.objects.filter(follower=ann, followed=ben).count() == 1


def test_unfollow_is_204_and_removes_only_that_follow(client_for):
    ann, ben, cat = UserFactory.create_batch(3)
    FollowFactory(follower=ann, followed=ben)
    FollowFactory(follower=ann, followed=cat)
    FollowFactory(follower=ben, followed=ann)
    client = client_for(ann)

    assert client.delete(follow_url(ben)).status_code == 204

    assert set(Follow.objects.values_list("follower", "followed")) == {(ann.pk, cat.pk), (ben.pk, ann.pk)}
    assert client.delete(follow_url(ben)).status_code == 204  # not following: still 204, nothing else removed
    assert Follow.objects.count() == 2


def test_following_yourself_is_400(client_for, user):
    response = client_for(user).post(follow_url(user))
    assert response.status_code == 400
    assert "yourself" in str(response.json())
    assert not Follow.objects.exists()


@pytest.mark.parametrize("method", ["post", "delete"])
def test_anonymous_cannot_follow_or_unfollow(api_client, method):
    ann, ben = UserFactory.create_batch(2)
    FollowFactory(follower=ann, followed=ben)
    response = getattr(api_client, method)(follow_url(ben))
    assert response.status_code == 401
    assert Follow.objects.count() == 1


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("target", [999999, "abc", 0])
def test_following_an_unknown_user_is_404_json(client_for, user, method, target):
    response = getattr(client_for(user), method)(follow_url(target))
    assert response.status_code == 404
    assert "detail" in response.json()
    assert not Follow.objects.exists()


# --- Who may follow -----------------------------------------------------------------------

ACTORS = ("anonymous", "other", "owner", "staff")


@pytest.mark.parametrize(
    ("method", "already", "expected"),
    [
        ("post", False, (401, 201, 400, 201)),
        ("post", True, (401, 200, 400, 200)),
        ("delete", False, (401, 204, 204, 204)),
        ("delete", True, (401, 204, 204, 204)),
    ],
    ids=["follow", "follow-again", "unfollow-not-following", "unfollow"],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_follow_endpoint_permissions(client_for, actor, method, already, expected):
    owner = UserFactory()
    people = {"owner": owner, "other": UserFactory(), "staff": StaffFactory()}
    caller = people.get(actor)
    if already and caller not in (None, owner):
        FollowFactory(follower=caller, followed=owner)
    client = client_for(caller) if caller else APIClient()

    response = getattr(client, method)(follow_url(owner))

    assert response.status_code == expected[ACTORS.index(actor)]
    follows_now = caller is not None and Follow.objects.filter(follower=caller, followed=owner).exists()
    assert follows_now == (response.status_code in (200, 201))


# --- Followers and following ---------------------------------------------------------------


def test_followers_and_following_lists_with_counts(api_client):
    ann, ben, cat, dan = (UserFactory(username=name) for name in ("ann", "ben", "cat", "dan"))
    for follower, followed in [(ben, ann), (cat, ann), (ann, dan), (dan, ann), (ben, cat)]:
        FollowFactory(follower=follower, followed=followed)
    PostFactory.create_batch(2, author=ben)

    followers = api_client.get(f"/api/users/{ann.pk}/followers/")
    following = api_client.get(f"/api/users/{ann.pk}/following/")

    assert names(followers) == ["ben", "cat", "dan"]
    assert names(following) == ["dan"]
    assert followers.json()["count"] == 3
    rows = {row["username"]: row for row in followers.json()["results"]}
    assert (rows["ben"]["post_count"], rows["ben"]["follower_count"], rows["ben"]["following_count"]) == (2, 0, 2)
    assert (rows["dan"]["follower_count"], rows["dan"]["following_count"]) == (1, 1)
    assert names(api_client.get(f"/api/users/{ben.pk}/followers/")) == []
    assert names(api_client.get(f"/api/users/{ben.pk}/following/")) == ["ann", "cat"]


def test_follow_then_unfollow_shows_in_the_lists(client_for):
    ann, ben = UserFactory.create_batch(2)
    client = client_for(ann)
    client.post(follow_url(ben))
    assert names(client.get(f"/api/users/{ben.pk}/followers/")) == [ann.username]
    assert names(client.get(f"/api/users/{ann.pk}/following/")) == [ben.username]
    client.delete(follow_url(ben))
    assert names(client.get(f"/api/users/{ben.pk}/followers/")) == []
    assert names(client.get(f"/api/users/{ann.pk}/following/")) == []


@pytest.mark.parametrize("relation", ["followers", "following"])
def test_follow_lists_are_paginated(api_client, relation):
    star = UserFactory()
    for fan in UserFactory.create_batch(23):
        follower, followed = (fan, star) if relation == "followers" else (star, fan)
        FollowFactory(follower=follower, followed=followed)
    url = f"/api/users/{star.pk}/{relation}/"

    first = api_client.get(url).json()
    last = api_client.get(url, {"page": 3, "page_size": 10}).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (23, 20, None)
    assert "page=2" in first["next"]
    assert (len(last["results"]), last["next"]) == (3, None)
    assert api_client.get(url, {"page": 999}).status_code == 404


@pytest.mark.parametrize("relation", ["followers", "following"])
@pytest.mark.parametrize("target", [999999, "abc"])
def test_follow_lists_of_an_unknown_user_are_404_json(api_client, relation, target):
    response = api_client.get(f"/api/users/{target}/{relation}/")
    assert response.status_code == 404
    assert "detail" in response.json()


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("relation", ["followers", "following"])
def test_follow_lists_run_the_same_few_queries_for_1_and_50_people(client_for, relation, django_assert_max_num_queries):
    star = UserFactory()
    client = client_for(UserFactory())
    url = f"/api/users/{star.pk}/{relation}/"
    counts = []
    for batch in (1, 49):
        for _ in range(batch):
            unit = UnitFactory()
            person = UserFactory(department=unit.department, unit=unit, designation=DesignationFactory())
            PostFactory(author=person)
            FollowFactory(follower=person, followed=star)
            FollowFactory(follower=star, followed=person)
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(url, {"page_size": 50}).json()["results"]
        counts.append(len(queries))
        assert len(rows) == (1 if batch == 1 else 50)
        assert all(row["post_count"] == row["follower_count"] == row["following_count"] == 1 for row in rows)
        assert all(row["department"] and row["unit"] and row["designation"] for row in rows)

    assert counts[0] == counts[1]
    with django_assert_max_num_queries(4):  # token lookup, the user's existence (404), count, page
        client.get(url, {"page_size": 50})


def test_a_follows_answer_is_the_persons_public_detail_and_is_kept_for_everyone(client_for, api_client):
    """The 201's body is what GET /api/users/{id}/ shows anyone but the person and staff: read after the follow,
    kept, so the next such read needs no query (and shows the new count)."""
    ann, ben = UserFactory.create_batch(2)
    followed = client_for(ann).post(follow_url(ben))
    assert followed.status_code == 201 and followed.json()["follower_count"] == 1
    with CaptureQueriesContext(connection) as queries:
        seen = api_client.get(f"/api/users/{ben.pk}/")
    assert len(queries) == 0
    assert seen.content == followed.content


def test_a_staff_follows_answer_shows_private_fields_and_keeps_nothing_public(client_for, api_client):
    staff, ben = StaffFactory(), UserFactory(email="ben@example.org")
    answer = client_for(staff).post(follow_url(ben)).json()
    assert answer["email"] == "ben@example.org"
    public = api_client.get(f"/api/users/{ben.pk}/").json()
    assert public["email"] is None and public["follower_count"] == 1
