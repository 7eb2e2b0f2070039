"""Writes about posts."""

from accounts.models import User
from posts.models import Post


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
