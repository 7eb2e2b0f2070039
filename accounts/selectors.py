"""Reads about people: follow state, counts, and the annotated user list."""

from django.db import connection
from django.db.models import Exists, IntegerField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Follow, User
from posts.models import Post


def user_is_following(*, follower: User, followed: User) -> bool:
    """Whether `follower` follows `followed`."""
    return Follow.objects.filter(follower=follower, followed=followed).exists()


def username_taken(*, username: str, exclude_pk: int | None = None) -> bool:
    """Whether another person has `username`, in any letter case."""
    return User.objects.exclude(pk=exclude_pk).filter(username__iexact=username).exists()


def email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Whether another person has `email`, in any letter case."""
    return User.objects.exclude(pk=exclude_pk).filter(email__iexact=email).exists()


def user_follower_count(*, user: User) -> int:
    """How many people follow `user`."""
    return Follow.objects.filter(followed=user).count()


def user_following_count(*, user: User) -> int:
    """How many people `user` follows."""
    return Follow.objects.filter(follower=user).count()


def _count_of(model, field: str) -> RawSQL:
    """A correlated COUNT(*) of `model` rows whose `field` is the outer person: one query for any page size.

    Written as SQL rather than as a Subquery of a queryset: the database runs the same correlated count
    from the same index, but Django compiles three Subquery counts in about 1.6 ms on every request
    (measured), the largest part of a person's API answer. Only `user_list` uses it, on the
    unaliased accounts_user table.
    """
    quote = connection.ops.quote_name
    column = model._meta.get_field(field).column
    outer = f"{quote(User._meta.db_table)}.{quote(User._meta.pk.column)}"
    sql = f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} WHERE {quote(column)} = {outer}"
    return RawSQL(sql, (), output_field=IntegerField())


def user_list(*, with_counts: bool = True) -> QuerySet[User]:
    """People with their organization loaded and, by default, post/follower/following counts annotated."""
    qs = User.objects.select_related("department", "unit", "designation")
    if not with_counts:
        return qs
    return qs.annotate(
        post_count=_count_of(Post, "author"),
        follower_count=_count_of(Follow, "followed"),
        following_count=_count_of(Follow, "follower"),
    )


def user_profile(*, username: str, viewer: User | None = None) -> User:
    """One person with counts and, for a signed-in viewer, `is_followed` (whether the viewer follows them).

    Raises User.DoesNotExist for an unknown username. One query.
    """
    qs = user_list()
    if viewer is not None and viewer.is_authenticated:
        qs = qs.annotate(is_followed=Exists(Follow.objects.filter(follower=viewer, followed=OuterRef("pk"))))
    return qs.get(username=username)
