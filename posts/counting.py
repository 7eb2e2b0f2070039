"""The number of posts, kept exactly as posts are written (PostCounter): the unfiltered post list's total.

Counting every post reads an index entry per post (PostgreSQL keeps no row count): 27 ms at 250,000 posts,
paid by the post list's first read after every post. Instead, every write that adds or removes posts adds to
the counter in its own transaction:
- a post saved for the first time or deleted: the receivers below (model signals), so the pages, the API,
  the admin and the deletes that follow a person's (CASCADE) all count; `Post.save` runs in a transaction,
  so the row and the count commit together (a delete always does);
- rows written without the model's save or delete (the bulk writer of seed_db and import_flask,
  `QuerySet.bulk_create`): their writer calls `posts_added(n)` in the same transaction;
- many posts deleted at once (empty_db): `recounted()` pauses the receivers and counts once at its end.

The counter is spread over SLOTS rows, one picked at random per write, so that people posting at the same
time do not wait for each other's row lock; the total is their sum (one query of SLOTS rows).
"""

import random
import threading
from contextlib import contextmanager

from django.db import router, transaction
from django.db.models import Case, F, Sum, Value, When
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from posts.models import Post, PostCounter

SLOTS = 8
_paused = threading.local()


def post_total() -> int:
    """The number of posts (one query)."""
    return int(PostCounter.objects.aggregate(total=Sum("posts"))["total"] or 0)


def posts_added(n: int) -> None:
    """Add `n` posts (negative: removed) to the number of posts, in the caller's transaction."""
    if not n or getattr(_paused, "depth", 0):
        return
    if not PostCounter.objects.filter(slot=random.randrange(SLOTS)).update(posts=F("posts") + n):
        recount()  # no counter rows (a database emptied by a flush): count the posts once, this write's included


def recount() -> int:
    """Count the posts and keep that number (the commands that rewrite many posts; a counter lost)."""
    with transaction.atomic():
        # Locked before counting: a post whose count is on its way waits for this commit and is added after it;
        # one that was counted before the lock is committed, and so in the COUNT below.
        locked = set(PostCounter.objects.select_for_update().values_list("slot", flat=True))
        if len(locked) < SLOTS:  # rows lost (a flushed database): made again, and locked
            missing = [PostCounter(slot=slot) for slot in range(SLOTS) if slot not in locked]
            PostCounter.objects.bulk_create(missing, ignore_conflicts=True)
            list(PostCounter.objects.select_for_update().values_list("slot", flat=True))
        total = Post.objects.count()
        PostCounter.objects.update(posts=Case(When(slot=0, then=Value(total)), default=Value(0)))
    return total


def slots_restored(sender, using, apps=None, **kwargs) -> None:
    """After `migrate` or `flush` (which sends post_migrate too): the counter has its rows, counted if any was
    missing. A flush empties every table, and the tests flush after each test that commits; the first posts
    written after it would otherwise all find no row and each count the posts and make the rows at once,
    and on MariaDB such concurrent makers of the same rows deadlock (their duplicate-key checks share a lock
    that each then wants alone)."""
    try:
        if apps is not None:  # migrate's state (flush sends none): no model when migrated back to zero
            apps.get_model("posts", "PostCounter")
    except LookupError:
        return
    if using == router.db_for_write(PostCounter) and PostCounter.objects.using(using).count() < SLOTS:
        recount()


@contextmanager
def recounted():
    """Inside a transaction: the block's post writes are not counted one by one; the posts are counted at its end."""
    _paused.depth = getattr(_paused, "depth", 0) + 1
    try:
        yield
    finally:
        _paused.depth -= 1
    recount()


@receiver(post_save, sender=Post, dispatch_uid="posts.counting.post_saved")
def post_saved(sender, instance: Post, created: bool, **kwargs) -> None:
    if created:
        posts_added(1)


@receiver(post_delete, sender=Post, dispatch_uid="posts.counting.post_deleted")
def post_deleted(sender, instance: Post, **kwargs) -> None:
    posts_added(-1)
