"""Writes about posts: posts, messages, and starting an export of one's posts."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.invalidation import account_changed
from accounts.models import User
from posts.exports import post_export_finish
from posts.models import Message, Post, PostExport
from posts.tasks import export_posts

logger = logging.getLogger(__name__)

RUNNING_SILENCE = datetime.timedelta(minutes=30)  # a running export reports every POST_EXPORT_CHUNK posts


# _BODY_RULES: a post's only constraints are its body's check constraints (posts.models.body_constraints), the
# same rules as its field's (required, at most 140 characters) once the body is stripped here (str.strip()
# removes every space TRIM does, and more). The field validation says it; validating the constraints too would
# only repeat it with a query each. The database still enforces them.
#
# _AUTHOR: the author is the signed-in person, read for this request; checking that they exist would be a query
# for nothing. Deleted meanwhile, the foreign key refuses the post at the commit (a 409 from the API).


def post_create(*, author: User, body: str) -> Post:
    """Validate and save a post by `author`."""
    post = Post(author=author, body=body.strip())
    post.full_clean(exclude=["author"], validate_constraints=False)  # see _BODY_RULES and _AUTHOR
    post.save()
    return post


def post_update(*, post: Post, body: str) -> Post:
    """Validate and save a new body for `post`."""
    post.body = body.strip()
    post.full_clean(validate_constraints=False)  # see _BODY_RULES
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
    account_changed(user.pk)  # update() sends no signal; the signed-in person is read from the cache


class ExportInProgress(Exception):
    """The person already has an export waiting or running."""

    message = gettext_lazy("An export of your posts is already under way; wait until it is done.")

    def __init__(self, export: PostExport):
        super().__init__(str(self.message))
        self.export = export


def post_export_start(*, user: User) -> PostExport:
    """Create `user`'s export and enqueue its task once the row is committed.

    Raises ExportInProgress when one is waiting or running: nothing new is created or enqueued. The
    person's row is locked while checking, so two requests at once cannot both start one.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = PostExport.objects.filter(user=user, status__in=PostExport.ACTIVE).first()
        if active is not None and _interrupted(active):
            post_export_finish(active, PostExport.Status.FAILED, _("The export was interrupted (its worker stopped)."))
        elif active is not None:
            raise ExportInProgress(active)
        export = PostExport.objects.create(user=user)
        # Only the latest export is kept: the older ones go, with their files (posts.exports).
        PostExport.objects.filter(user=user).exclude(pk=export.pk).delete()
        transaction.on_commit(lambda: _enqueue(export, export_posts))
    return export


def _interrupted(export: PostExport) -> bool:
    """A running export that has reported nothing for RUNNING_SILENCE lost its worker (killed, say).

    A waiting one is never given up: it waits for a worker, however long that takes.
    """
    silent_since = timezone.now() - RUNNING_SILENCE
    return export.status == PostExport.Status.RUNNING and export.updated_at < silent_since


def _enqueue(export: PostExport, task) -> None:
    """Hand the job to the task backend; if that fails (e.g. Redis is down), the export says so."""
    try:
        result = task.enqueue(str(export.pk))
    except Exception:
        logger.exception("could not enqueue post export %s", export.pk)
        post_export_finish(export, PostExport.Status.FAILED, _("The export could not be queued. Try again later."))
        return
    # The immediate backend has already run it; keep whatever the run wrote, add the backend's id.
    PostExport.objects.filter(pk=export.pk).update(task_id=result.id)
