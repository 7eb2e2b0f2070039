"""What a change to a person or a follow makes stale in the shared cache (core.caching scopes).

Receivers of the model signals, so that every way of writing invalidates alike: the services, the admin,
spreadsheet imports and anything else that saves through the ORM. Writes that bypass the signals
(`QuerySet.update()`, bulk inserts) call `core.caching.invalidate` themselves.
"""

import hashlib

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token, TokenProxy

from accounts.models import Follow, User
from core.caching import invalidate, invalidate_all

# Saved alone, these change nothing any cached read shows.
UNSHOWN_FIELDS = frozenset({"password", "last_login", "last_message_read_time", "language"})


def person_scope(pk: int) -> str:
    """The scope of one person: their fields and counts, their posts and their feed."""
    return f"person:{pk}"


def account_scope(pk: int) -> str:
    """The scope of one person's row as their requests load it (sessions, tokens): every field of it. Bumped
    by every save of the row and every `update()` of it; not by their posts or follows, which the row
    does not hold."""
    return f"account:{pk}"


def account_changed(pk: int) -> None:
    """A field of a person's row changed that none of the shown reads has (a `QuerySet.update()` of one)."""
    invalidate(account_scope(pk))


def token_scope(key: str) -> str:
    """The scope of one API token: whose it is, until it is deleted."""
    return f"token:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def following_scope(pk: int) -> str:
    """The scope of whom one person follows: their feed and the follow buttons they see."""
    return f"following:{pk}"


def name_scope(pk: int) -> str:
    """The scope of one person as the layout of the pages they view shows them: their username (the link to
    their profile). Bumped with every change that may change it, so that an edit of their other fields (about
    me, contact details) leaves the pages kept for them (their feed, other people's profiles) as they are."""
    return f"name:{pk}"


def person_changed(pk: int, *, username_may_change: bool = True) -> None:
    """A person's shown fields changed: their row as their requests load it, their own reads and the lists of
    people (and, if their username may have changed, the layout of their pages and the posts that name them)."""
    renamed = [name_scope(pk), "posts"] if username_may_change else []
    invalidate(account_scope(pk), person_scope(pk), "people", *renamed)


@receiver(post_save, sender=User, dispatch_uid="accounts.invalidation.user_saved")
def user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= UNSHOWN_FIELDS:
        account_changed(instance.pk)  # their row only
    else:
        person_changed(instance.pk, username_may_change=update_fields is None or "username" in update_fields)


@receiver(post_delete, sender=User, dispatch_uid="accounts.invalidation.user_deleted")
def user_deleted(sender, instance: User, **kwargs) -> None:
    # Their posts and follows went with them, and other people's counts with those: read everything again.
    invalidate_all()


@receiver(pre_save, sender=Follow, dispatch_uid="accounts.invalidation.follow_changing")
def follow_changing(sender, instance: Follow, **kwargs) -> None:
    """A follow changed in place (the admin can) is an unfollow of the pair it was."""
    if instance.pk is None:
        return
    before = Follow.objects.filter(pk=instance.pk).values_list("follower_id", "followed_id").first()
    if before is not None and before != (instance.follower_id, instance.followed_id):
        invalidate(*(person_scope(pk) for pk in before), following_scope(before[0]))


@receiver(post_save, sender=Follow, dispatch_uid="accounts.invalidation.follow_saved")
@receiver(post_delete, sender=Follow, dispatch_uid="accounts.invalidation.follow_deleted")
def follow_changed(sender, instance: Follow, **kwargs) -> None:
    # Both people's counts, whom the follower follows (their feed), and the lists that show counts.
    follower, followed = instance.follower_id, instance.followed_id
    invalidate(person_scope(follower), person_scope(followed), following_scope(follower), "people")


def token_changed(sender, instance: Token, **kwargs) -> None:
    invalidate(token_scope(instance.key))


# The admin changes tokens through DRF's proxy model, whose signals are its own.
for _model in (Token, TokenProxy):
    post_save.connect(token_changed, sender=_model, dispatch_uid=f"accounts.invalidation.token_saved.{_model.__name__}")
    post_delete.connect(
        token_changed, sender=_model, dispatch_uid=f"accounts.invalidation.token_deleted.{_model.__name__}"
    )
