"""Writes about posts."""

from accounts.models import User
from posts.models import Post


def post_create(*, author: User, body: str) -> Post:
    """Validate and save a post by `author`."""
    post = Post(author=author, body=body.strip())
    post.full_clean()
    post.save()
    return post
