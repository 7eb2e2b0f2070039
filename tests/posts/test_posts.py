import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from posts.models import Post
from posts.selectors import feed_for_user, post_list
from posts.services import post_create
from tests.factories import FollowFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", ["x" * 141, "", "   "])
def test_bad_body_is_rejected_by_the_database(user, body):
    # PostgreSQL and MySQL check the varchar length first (DataError); SQLite needs the CHECK constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Post.objects.create(author=user, body=body)


@pytest.mark.parametrize("body", ["x" * 141, "", "   "])
def test_bad_body_is_a_validation_error_and_nothing_is_saved(user, body):
    with pytest.raises(ValidationError):
        post_create(author=user, body=body)
    assert not Post.objects.exists()


@pytest.mark.parametrize("body", ["x", "é" * 140])
def test_body_of_1_to_140_characters_is_accepted(user, body):
    assert post_create(author=user, body=body).body == body


def test_posts_are_newest_first():
    old = PostFactory()
    new = PostFactory()
    Post.objects.filter(pk=old.pk).update(timestamp=new.timestamp.replace(year=new.timestamp.year - 1))
    assert list(post_list()) == [new, old]


def test_feed_has_followed_and_own_posts_only_newest_first():
    reader, followed, stranger = UserFactory.create_batch(3)
    FollowFactory(follower=reader, followed=followed)
    own = PostFactory(author=reader)
    theirs = PostFactory(author=followed)
    PostFactory(author=stranger)
    assert list(feed_for_user(user=reader)) == [theirs, own]


@pytest.mark.parametrize("rows", [1, 50])
def test_feed_runs_one_query_for_any_number_of_posts(rows, django_assert_num_queries):
    reader = UserFactory()
    FollowFactory(follower=reader, followed=PostFactory.create_batch(rows)[0].author)
    PostFactory.create_batch(rows, author=reader)
    with django_assert_num_queries(1):
        assert all(p.author.username for p in feed_for_user(user=reader))
