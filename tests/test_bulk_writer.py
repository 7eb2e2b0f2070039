"""core.bulk.BulkWriter on the database of the run: COPY on PostgreSQL, batched INSERTs on SQLite and MariaDB."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone as django_timezone

from accounts.models import Follow, User
from core.bulk import BulkWriter
from posts.models import Post, PostExport
from tests.factories import PostFactory, UserFactory

# The bulk writer writes posts as rows of any model; counting them is its callers' part (posts.counting).
pytestmark = [pytest.mark.django_db, pytest.mark.posts_uncounted]

IST = timezone(timedelta(hours=5, minutes=30))


class Progress:
    """A stand-in for a tqdm bar: what update() was called with, and whether anyone closed it."""

    def __init__(self):
        self.updates, self.closed = [], False

    def update(self, n):
        self.updates.append(n)

    def close(self):
        self.closed = True


def stored_posts(ids):
    by_id = {p.pk: p for p in Post.objects.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids]


def test_rows_land_with_their_values_and_ids_come_back_in_row_order():
    author, other = UserFactory(), UserFactory()
    stamps = [
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 3, 1, 5, 29, 59, 123456, tzinfo=IST),  # the same instant as 23:59:59.123456 UTC
        datetime(1999, 12, 31, 0, 0, 0, 1, tzinfo=UTC),
    ]
    rows = [("First post", stamps[0], author.pk), ("Ünïcode ✓ and 'quotes'\\ and\ttabs", stamps[1], other.pk)]
    rows.append(("Third", stamps[2], author.pk))

    with transaction.atomic():
        ids = BulkWriter(Post, ["body", "timestamp", "author_id"]).write(rows, with_ids=True)

    assert len(ids) == 3 and len(set(ids)) == 3
    posts = stored_posts(ids)
    assert [(p.body, p.timestamp, p.author_id) for p in posts] == rows
    for post, stamp in zip(posts, stamps, strict=True):
        assert post.timestamp == stamp  # to the microsecond
        assert post.timestamp.utcoffset() == timedelta(0)  # read back in UTC
    assert posts[1].timestamp == datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC)


def test_a_generator_longer_than_a_batch_is_read_batch_by_batch_with_progress():
    author = UserFactory()
    pulled = []
    progress = Progress()

    def rows():
        for n in range(11):
            pulled.append(n)
            yield (f"Post {n}", django_timezone.now(), author.pk)

    def update(n):
        progress.updates.append(n)
        assert len(pulled) == sum(progress.updates)  # no more read than written: never the whole iterable

    progress.update = update
    with transaction.atomic():
        ids = BulkWriter(Post, ["body", "timestamp", "author"], batch_size=4, progress=progress).write(
            rows(), with_ids=True
        )
        count = BulkWriter(Post, ["body", "timestamp", "author"], batch_size=4).write(rows())

    assert progress.updates == [4, 4, 3]
    assert not progress.closed  # the caller's bar: it closes it
    assert count == 11
    assert [p.body for p in stored_posts(ids)] == [f"Post {n}" for n in range(11)]
    assert ids == sorted(ids)  # one transaction, one writer: the sequence's order
    assert Post.objects.filter(author=author).count() == 22


def test_fields_by_name_or_attname_and_bools_none_and_defaults():
    unit_less = ("ann", "ann@example.org", True, None, "")
    with transaction.atomic():
        by_name = BulkWriter(User, ["username", "email", "is_staff", "designation", "full_name"])
        by_attname = BulkWriter(User, ["username", "email", "is_staff", "designation_id", "full_name"])
        ids = by_name.write([unit_less], with_ids=True)
        ids += by_attname.write([("bob", "bob@example.org", False, None, "Bob")], with_ids=True)

    ann, bob = (User.objects.get(pk=pk) for pk in ids)
    assert (ann.username, ann.is_staff, ann.designation_id, ann.full_name) == ("ann", True, None, "")
    assert (bob.username, bob.is_staff, bob.full_name) == ("bob", False, "Bob")
    # Fields left out hold what a new instance would: defaults, the current time for date_joined.
    new = User()
    for person in (ann, bob):
        assert (person.is_active, person.is_superuser, person.last_login, person.employee_id) == (
            True,
            False,
            None,
            None,
        )
        assert (person.mobile, person.language, person.password) == (new.mobile, new.language, new.password)
        assert abs(person.date_joined - django_timezone.now()) < timedelta(minutes=5)


def test_auto_now_add_and_a_primary_key_that_is_not_auto_increment():
    follower, followed, owner = UserFactory(), UserFactory(), UserFactory()
    with transaction.atomic():
        BulkWriter(Follow, ["follower", "followed"]).write([(follower.pk, followed.pk)])
        export_ids = BulkWriter(PostExport, ["user", "progress"]).write([(owner.pk, 0), (owner.pk, 100)], with_ids=True)

    link = Follow.objects.get(follower=follower)
    assert abs(link.created_at - django_timezone.now()) < timedelta(minutes=5)
    assert all(isinstance(pk, uuid.UUID) for pk in export_ids)
    exports = {e.pk: e for e in PostExport.objects.filter(user=owner)}
    assert [exports[pk].progress for pk in export_ids] == [0, 100]
    assert exports[export_ids[0]].status == PostExport.Status.QUEUED


def test_a_constraint_violation_rolls_back_the_whole_atomic_block():
    author = PostFactory().author
    before = Post.objects.count()
    rows = [(f"Post {n}", django_timezone.now(), author.pk) for n in range(5)] + [
        ("   ", django_timezone.now(), author.pk)
    ]

    with pytest.raises(IntegrityError), transaction.atomic():
        PostFactory(author=author)
        BulkWriter(Post, ["body", "timestamp", "author"], batch_size=2).write(rows)  # the 3rd batch breaks a CHECK

    assert Post.objects.count() == before


def test_an_error_caught_inside_the_block_still_rolls_it_back():
    author = UserFactory()
    rows = [("One", django_timezone.now(), author.pk), ("Two", django_timezone.now(), author.pk), ("Three",)]
    with transaction.atomic():
        with pytest.raises(ValueError, match="1 values for 3 fields"):
            BulkWriter(Post, ["body", "timestamp", "author"], batch_size=2).write(rows)  # the 2nd batch fails
        assert transaction.get_rollback()
    assert not Post.objects.filter(author=author).exists()


def test_a_duplicate_unique_value_is_an_integrity_error():
    taken = UserFactory(username="taken")
    with pytest.raises(IntegrityError), transaction.atomic():
        BulkWriter(User, ["username", "email"]).write([("fresh", "fresh@example.org"), ("taken", "other@example.org")])
    assert list(User.objects.values_list("pk", flat=True)) == [taken.pk]


def test_bad_field_names_and_rows_are_value_errors():
    with pytest.raises(ValueError, match="no concrete field 'colour'"):
        BulkWriter(Post, ["body", "colour"])
    with pytest.raises(ValueError, match="no concrete field 'following'"):
        BulkWriter(User, ["following"])  # many-to-many: not a column
    with pytest.raises(ValueError, match="primary key"):
        BulkWriter(Post, ["id", "body"])
    with pytest.raises(ValueError, match="named twice"):
        BulkWriter(Post, ["author", "author_id"])
    with pytest.raises(ValueError, match="2 values for 3 fields"), transaction.atomic():
        BulkWriter(Post, ["body", "timestamp", "author"]).write([("Too short", django_timezone.now())])


@pytest.mark.django_db(transaction=True)
def test_writing_outside_a_transaction_is_refused():
    author = UserFactory()
    with pytest.raises(TransactionManagementError, match=r"inside transaction\.atomic"):
        BulkWriter(Post, ["body", "timestamp", "author"]).write([("Hello", django_timezone.now(), author.pk)])
    assert not Post.objects.exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL reserves ids from the sequence")
def test_ids_in_row_order_without_insert_returning(monkeypatch):
    """Where INSERT … RETURNING is missing (SQLite < 3.35, MySQL, MariaDB < 10.5): one INSERT per row."""
    author = UserFactory()
    features = connection.features
    monkeypatch.setattr(type(features), "can_return_rows_from_bulk_insert", False)  # a property on some backends
    monkeypatch.delitem(features.__dict__, "can_return_rows_from_bulk_insert", raising=False)  # or cached
    assert not features.can_return_rows_from_bulk_insert
    rows = [(f"Post {n}", django_timezone.now(), author.pk) for n in range(7)]
    with transaction.atomic():
        ids = BulkWriter(Post, ["body", "timestamp", "author"], batch_size=3).write(rows, with_ids=True)
    assert [p.body for p in stored_posts(ids)] == [f"Post {n}" for n in range(7)]


def test_many_rows_with_ids_across_batches_match_what_is_stored():
    authors = [UserFactory().pk for _ in range(3)]
    rows = ((f"Body {n}", django_timezone.now() - timedelta(seconds=n), authors[n % 3]) for n in range(2500))
    with transaction.atomic():
        ids = BulkWriter(Post, ["body", "timestamp", "author"], batch_size=1000).write(rows, with_ids=True)
    assert len(set(ids)) == 2500
    stored = dict(Post.objects.filter(pk__in=ids).values_list("pk", "body"))
    assert [stored[pk] for pk in ids] == [f"Body {n}" for n in range(2500)]
