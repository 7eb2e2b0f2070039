"""Writes about posts."""

from django.utils import timezone

from accounts.models import User
from posts.models import Message, Post


def post_create(*, author: User, body: str) -> Post:
    """Validate and save a post by `author`."""
    post = Post(author=author, body=body.strip())
    post.full_clean()
    post.save()
    return post


def post_update(*, post: Post, body: str) -> Post:
    """Validate and save a new body for `post`."""
    post.body = body.strip()
    post.full_clean()
    post.save(update_fields=["body"])
    return post


def message_send(*, sender: User, recipient: User, body: str) -> Message:
    """Validate and save a private message."""
    message = Message(sender=sender, recipient=recipient, body=body.strip())
    message.full_clean()
    message.save()
    return message


def messages_mark_read(*, user: User) -> None:
    """Everything received until now counts as read."""
    user.last_message_read_time = timezone.now()
    User.objects.filter(pk=user.pk).update(last_message_read_time=user.last_message_read_time)
