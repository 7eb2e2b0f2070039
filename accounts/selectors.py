"""Reads about people: follow state, counts, and the annotated user list."""

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

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


def _count_of(model, field: str):
    """A correlated COUNT(*) of `model` rows whose `field` is the outer user: one query for any page size."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


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
