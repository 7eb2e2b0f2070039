"""posts.counting: the number of posts, kept as posts are written, on every database.

tests/conftest.py also checks counter = rows after every test that touches the database, whatever it wrote.
"""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from posts import counting, services
from posts.models import Post, PostCounter
from tests.factories import PostFactory, UserFactory


def counted() -> tuple[int, int]:
    return counting.post_total(), Post.objects.count()


@pytest.mark.django_db
def test_every_single_row_write_keeps_the_count():
    author, other = UserFactory(), UserFactory()
    start = Post.objects.count()
    post = services.post_create(author=author, body="one")
    PostFactory.create_batch(3, author=author)
    PostFactory.create_batch(2, author=other)
    assert counted() == (start + 6, start + 6)

    post.author = other  # moved to another author (the admin can): still one post
    post.save()
    services.post_update(post=post, body="changed")
    assert counted() == (start + 6, start + 6)

    post.delete()
    Post.objects.filter(author=other).order_by("pk")[:1].get().delete()
    assert counted() == (start + 4, start + 4)
    Post.objects.filter(author=other).delete()  # the admin's "delete selected"
    User.objects.filter(pk=author.pk).delete()  # their posts go with them (CASCADE)
    assert counted() == (start, start)


@pytest.mark.django_db
def test_a_post_commits_with_its_count_or_not_at_all():
    author = UserFactory()
    before = counted()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_create(author=author, body="rolled back")
        assert counting.post_total() == before[0] + 1
        raise RuntimeError
    assert counted() == before


@pytest.mark.django_db
def test_lost_counter_rows_are_counted_again_by_the_next_write():
    PostFactory.create_batch(3)
    PostCounter.objects.all().delete()  # as a flush of the database leaves it
    assert counting.post_total() == 0

    PostFactory()
    assert counted() == (4, 4)
    assert PostCounter.objects.count() == counting.SLOTS


@pytest.mark.django_db
def test_recounted_counts_once_at_its_end_however_many_posts_go():
    PostFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), counting.recounted():
        for post in Post.objects.all():
            post.delete()
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "posts_postcounter" in q["sql"]]
    assert len(updates) == 1, updates
    assert counted() == (0, 0)


@pytest.mark.django_db
def test_recounted_counts_nothing_when_its_block_fails():
    PostFactory.create_batch(2)
    with pytest.raises(RuntimeError), transaction.atomic(), counting.recounted():
        Post.objects.all().delete()
        raise RuntimeError
    assert counted() == (2, 2)
    PostFactory()  # counting is back on after the block
    assert counted() == (3, 3)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite lets one writer in at a time: nothing races")
@pytest.mark.django_db(transaction=True)
def test_people_posting_at_the_same_time_and_a_recount_lose_no_post():
    """Posts from 4 connections at once, while a 5th recounts (as seed_db or empty_db would): none is lost or
    counted twice (the slots' row locks, and the recount's lock before it counts)."""
    authors = UserFactory.create_batch(4)
    errors, start = [], threading.Barrier(5)

    def post_many(author):
        try:
            start.wait()
            for n in range(25):
                services.post_create(author=author, body=f"post {n}")
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    def recount_often():
        try:
            start.wait()
            for _ in range(10):
                counting.recount()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_many, args=(a,)) for a in authors]
    threads.append(threading.Thread(target=recount_often))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert counted() == (100, 100)


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_counter_with_its_rows():
    """`flush` (the tests run it after each test that commits) empties the table; post_migrate makes the rows
    again, counted, so that the first posts after it find them (concurrent makers deadlock on MariaDB)."""
    from django.core.management import call_command

    PostFactory.create_batch(2)
    call_command("flush", interactive=False, verbosity=0)
    assert PostCounter.objects.count() == counting.SLOTS
    assert counting.post_total() == 0
