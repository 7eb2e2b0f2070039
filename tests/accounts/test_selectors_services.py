import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.avatars import avatar_url, identicon_svg
from accounts.selectors import (
    email_taken,
    user_follower_count,
    user_following_count,
    user_is_following,
    user_list,
    username_taken,
)
from accounts.services import user_follow, user_unfollow
from tests.factories import FollowFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_follow_then_unfollow():
    ann, ben = UserFactory.create_batch(2)
    assert user_follow(follower=ann, followed=ben) is True
    assert user_follow(follower=ann, followed=ben) is False  # already following: no duplicate
    assert user_is_following(follower=ann, followed=ben)
    assert not user_is_following(follower=ben, followed=ann)
    assert user_unfollow(follower=ann, followed=ben) is True
    assert user_unfollow(follower=ann, followed=ben) is False
    assert not user_is_following(follower=ann, followed=ben)


def test_following_yourself_is_a_validation_error():
    ann = UserFactory()
    with pytest.raises(ValidationError, match="cannot follow yourself"):
        user_follow(follower=ann, followed=ann)


def test_follower_and_following_counts():
    ann = UserFactory()
    for other in UserFactory.create_batch(3):
        FollowFactory(follower=other, followed=ann)
    FollowFactory(follower=ann)
    assert user_follower_count(user=ann) == 3
    assert user_following_count(user=ann) == 1


def test_user_list_annotates_counts_that_match_the_single_counts():
    ann, ben, cat = UserFactory.create_batch(3)
    PostFactory.create_batch(4, author=ann)
    FollowFactory(follower=ben, followed=ann)
    FollowFactory(follower=cat, followed=ann)
    FollowFactory(follower=ann, followed=cat)
    rows = {u.username: u for u in user_list()}
    for user in (ann, ben, cat):
        row = rows[user.username]
        assert row.post_count == user.posts.count()
        assert row.follower_count == user_follower_count(user=user)
        assert row.following_count == user_following_count(user=user)


@pytest.mark.parametrize("rows", [1, 50])
def test_user_list_runs_one_query_for_any_number_of_people(rows, django_assert_num_queries):
    for user in UserFactory.create_batch(rows):
        PostFactory(author=user)
    with django_assert_num_queries(1):
        people = list(user_list())
        assert all(p.post_count == 1 for p in people)
        assert [p.designation for p in people]  # loaded by the same query


def test_avatar_is_a_deterministic_local_svg(client):
    user = UserFactory()
    url = avatar_url(user)
    first = client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content.decode() == identicon_svg(f"user:{user.pk}")
    assert "max-age" in first["Cache-Control"]
    assert identicon_svg("user:1") != identicon_svg("user:2")


def test_taken_names_and_emails_in_any_letter_case_but_ones_own():
    asha = UserFactory(username="Asha", email="Asha@Example.org")
    assert username_taken(username="aSHA") and email_taken(email="asha@example.ORG")
    assert not username_taken(username="asha", exclude_pk=asha.pk)
    assert not email_taken(email="ASHA@example.org", exclude_pk=asha.pk)
    assert not username_taken(username="ash") and not email_taken(email="sha@example.org")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's LOWER() folds every letter")
def test_taken_is_what_the_unique_index_refuses_on_postgresql():
    UserFactory(username="vikram")
    # The Kelvin sign: UPPER() leaves it, LOWER() makes it "k" (the index's expression).
    assert username_taken(username="vi\u212aram")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a plan of PostgreSQL's")
@pytest.mark.parametrize("field", ["username", "email"])
def test_taken_is_answered_from_the_unique_index(field):
    UserFactory.create_batch(3)
    check = username_taken if field == "username" else email_taken
    with CaptureQueriesContext(connection) as captured:
        assert not check(**{field: "nobody"})
    (query,) = captured.captured_queries  # the statement as sent, its values in it
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index can answer
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"accounts_user_{field}_ci_unique" in plan, plan
