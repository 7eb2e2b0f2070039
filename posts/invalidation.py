"""What a change to a post makes stale in the shared cache (core.caching scopes); see accounts.invalidation."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.invalidation import person_scope
from core.caching import invalidate
from posts.models import Post


@receiver(post_save, sender=Post, dispatch_uid="posts.invalidation.post_saved")
@receiver(post_delete, sender=Post, dispatch_uid="posts.invalidation.post_deleted")
def post_changed(sender, instance: Post, **kwargs) -> None:
    # The lists of posts and feeds, the author's posts and post count, and the lists of people (counts).
    invalidate("posts", person_scope(instance.author_id), "people")
