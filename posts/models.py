"""Posts: short public messages by people."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext_lazy as _

POST_MAX_LENGTH = 140


def body_constraints(prefix: str) -> list[models.CheckConstraint]:
    """1 to 140 characters, not only spaces: in the database too (SQLite does not enforce varchar lengths)."""
    return [
        models.CheckConstraint(
            condition=models.Q(GreaterThan(Length(Trim("body")), 0)),
            name=f"{prefix}_body_not_blank",
            violation_error_message=_("This cannot be empty."),
        ),
        models.CheckConstraint(
            condition=models.Q(LessThanOrEqual(Length("body"), POST_MAX_LENGTH)),
            name=f"{prefix}_body_max_length",
            violation_error_message=format_lazy(_("At most {max_length} characters."), max_length=POST_MAX_LENGTH),
        ),
    ]


class Post(models.Model):
    """A post of 1 to 140 characters; deleted with its author."""

    body = models.CharField(max_length=POST_MAX_LENGTH, help_text=_("1 to 140 characters, not only spaces."))
    timestamp = models.DateTimeField(default=timezone.now, help_text=_("When it was posted (UTC); indexed."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            # Newest first, with the id as tie-breaker so that pages never overlap.
            models.Index(fields=["-timestamp", "-id"], name="posts_post_newest"),
            # "A user's posts, newest first": the profile page and the feed.
            models.Index(fields=["author", "-timestamp", "-id"], name="posts_post_author_newest"),
        ]
        constraints = body_constraints("posts_post")

    def __str__(self):
        return Truncator(self.body).chars(50)

    def save(self, *args, **kwargs):
        # The row and the number of posts (posts.counting: a receiver of post_save) commit together.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)


class PostCounter(models.Model):
    """The number of posts, kept as posts are written (posts.counting): the post list's total, read without
    counting every post.

    Spread over a few rows (slots), one picked at random per write, so that people posting at the same time do
    not wait for one row's lock; the number of posts is the sum of the slots (a slot alone may be negative).
    """

    slot = models.PositiveSmallIntegerField(primary_key=True)
    posts = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.slot}: {self.posts}"


class Message(models.Model):
    """A private message of 1 to 140 characters from one person to another."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_received")
    body = models.CharField(max_length=POST_MAX_LENGTH, help_text=_("1 to 140 characters, not only spaces."))
    timestamp = models.DateTimeField(default=timezone.now, help_text=_("When it was sent (UTC)."))

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["recipient", "-timestamp", "-id"], name="posts_message_inbox")]
        constraints = body_constraints("posts_message")

    def __str__(self):
        return Truncator(self.body).chars(50)


class PostExport(models.Model):
    """One "export my posts" job of a person: its progress while a worker runs it, then the file to download.

    Its id is the task id the API and the pages show; the file is kept for its owner only (served by a
    view that checks the owner, never from a public folder). Deleted with its owner, and when the owner
    starts a new export; its file goes with it (posts.exports).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    message = models.CharField(max_length=200, blank=True, help_text="Why it failed, or a note on the result.")
    file = models.FileField(upload_to="exports/", blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The task backend's id for the job.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, help_text="Last change of status or progress.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="posts_export_user_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="posts_export_progress_max_100"),
        ]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)
