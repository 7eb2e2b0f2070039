"""Reads about people: follow state, counts, and the annotated user list."""

import hashlib

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from accounts.invalidation import following_scope, person_scope
from accounts.models import Follow, User
from core.caching import cached
from posts.models import Post


def user_is_following(*, follower: User, followed: User) -> bool:
    """Whether `follower` follows `followed`."""
    return Follow.objects.filter(follower=follower, followed=followed).exists()


def username_taken(*, username: str, exclude_pk: int | None = None) -> bool:
    """Whether another person has `username`, in any letter case (as the unique constraint compares them)."""
    return _taken("username", username, exclude_pk)


def email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Whether another person has `email`, in any letter case (as the unique constraint compares them)."""
    return _taken("email", email, exclude_pk)


def _taken(field: str, value: str, exclude_pk: int | None) -> bool:
    """LOWER(field) = LOWER(value): the unique constraint's own expression, so PostgreSQL and SQLite answer
    from its index, and every name the constraint would refuse is found here first. (`iexact` is UPPER()
    on PostgreSQL: a scan of every person, and a few letters, such as the Kelvin sign, fold differently.)"""
    people = User.objects.exclude(pk=exclude_pk).alias(_lower=Lower(field))
    return people.filter(_lower=Lower(Value(value))).exists()


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


# What an API answer about a person shows (accounts.api.serializers.UserSerializer): its lists and details
# load only these columns. The other 13 (password, flags, four more times) cost more to parse than to send.
USER_API_FIELDS = (
    "username",
    "full_name",
    "about_me",
    "last_seen",
    *("email", "employee_id", "mobile", "mobile2", "mobile3", "email2", "email3", "office_address"),
    "department__name",
    "unit__name",
    "designation__name",
)


def user_api_list() -> QuerySet[User]:
    """`user_list()` with only what the API shows of a person loaded (USER_API_FIELDS)."""
    return user_list().only(*USER_API_FIELDS)


def user_profile(*, username: str, viewer: User | None = None, id_hint: int | None = None) -> User:
    """One person with counts and, for a signed-in viewer, `is_followed` (whether the viewer follows them).

    Raises User.DoesNotExist for an unknown username. Read from the shared cache (core.caching) when it
    can be: the person under their own scope and the organization's, the viewer's follows under theirs.
    Which id a username has is kept as a hint only, checked against the person it finds (a renamed
    person, or a new person with an old name, is looked up again). Without the hint: one query, whose
    person is not kept (it was read before any version: core.caching would have to trust it). `id_hint`: that
    hint, when the caller has read it already (`user_id_hint`).
    """
    signed_in = viewer is not None and viewer.is_authenticated
    hint = user_id_hint(username) if id_hint is None else id_hint
    person = _cached_person(hint) if hint is not None else None
    if person is not None and person.username == username:
        if signed_in:
            person.is_followed = person.pk in user_following_ids(user=viewer)
        return person
    people = user_list().filter(username=username)
    if signed_in:
        people = people.annotate(is_followed=Exists(Follow.objects.filter(follower=viewer, followed=OuterRef("pk"))))
    person = people.get()
    cache.set(_username_key(username), person.pk, timeout=None)
    return person


def user_id_hint(username: str) -> int | None:
    """The id of the person `user_profile()` last found by `username`: a hint, which may be out of date."""
    return cache.get(_username_key(username))


def _username_key(username: str) -> str:
    return f"username-id:{hashlib.sha256(username.encode()).hexdigest()}"  # any text: keys must be plain


def _cached_person(pk: int) -> User | None:
    def read() -> User | bool:
        return user_list().filter(pk=pk).first() or False  # False: none (the cache cannot keep None)

    return cached(f"person:{pk}", read, scopes=(person_scope(pk), "org")) or None


def user_following_ids(*, user: User) -> frozenset[int]:
    """The ids of the people `user` follows, from the shared cache (their follows' scope)."""
    read = lambda: frozenset(Follow.objects.filter(follower=user).values_list("followed_id", flat=True))  # noqa: E731
    return cached(f"following:{user.pk}", read, scopes=(following_scope(user.pk),))


def user_detail(*, pk: int) -> User:
    """One person by id as `user_api_list()` reads them (organization and counts). Raises User.DoesNotExist."""
    return user_api_list().get(pk=pk)
