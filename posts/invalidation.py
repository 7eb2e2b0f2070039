"""What a change to a post makes stale in the shared cache (core.caching scopes); see accounts.invalidation."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.invalidation import person_scope
from core.caching import invalidate
from posts.models import Post


@receiver(pre_save, sender=Post, dispatch_uid="posts.invalidation.post_moving")
def post_moving(sender, instance: Post, update_fields=None, **kwargs) -> None:
    """A post given to another author (the admin can) leaves its first author's posts and count."""
    if instance.pk is None or (update_fields is not None and "author" not in update_fields):
        return
    before = Post.objects.filter(pk=instance.pk).values_list("author_id", flat=True).first()
    if before is not None and before != instance.author_id:
        invalidate(person_scope(before))


@receiver(post_save, sender=Post, dispatch_uid="posts.invalidation.post_saved")
@receiver(post_delete, sender=Post, dispatch_uid="posts.invalidation.post_deleted")
def post_changed(sender, instance: Post, **kwargs) -> None:
    # The lists of posts and feeds, the author's posts and post count, and the lists of people (counts).
    invalidate("posts", person_scope(instance.author_id), "people")
