"""Reads about posts: lists and the feed."""

from django.db.models import Q, QuerySet

from accounts.models import Follow, User
from posts.models import Post


def post_list(*, author: User | None = None) -> QuerySet[Post]:
    """All posts (or one author's), newest first, with the author loaded."""
    qs = Post.objects.select_related("author")
    return qs.filter(author=author) if author else qs


def feed_for_user(*, user: User) -> QuerySet[Post]:
    """Posts of the people `user` follows and `user`'s own, newest first."""
    followed = Follow.objects.filter(follower=user).values("followed")
    return post_list().filter(Q(author__in=followed) | Q(author=user))
