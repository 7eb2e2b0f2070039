"""Writes about people: following and unfollowing."""

from django.core.exceptions import ValidationError

from accounts.models import Follow, User


def user_follow(*, follower: User, followed: User) -> bool:
    """Make `follower` follow `followed`; return False when already following."""
    if follower.pk == followed.pk:
        raise ValidationError("You cannot follow yourself.", code="self_follow")
    _, created = Follow.objects.get_or_create(follower=follower, followed=followed)
    return created


def user_unfollow(*, follower: User, followed: User) -> bool:
    """Stop following; return False when `follower` was not following `followed`."""
    deleted, _ = Follow.objects.filter(follower=follower, followed=followed).delete()
    return deleted > 0
