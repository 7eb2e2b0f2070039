"""Posts: short public messages by people."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone
from django.utils.text import Truncator

POST_MAX_LENGTH = 140


def body_constraints(prefix: str) -> list[models.CheckConstraint]:
    """1 to 140 characters, not only spaces: in the database too (SQLite does not enforce varchar lengths)."""
    return [
        models.CheckConstraint(
            condition=models.Q(GreaterThan(Length(Trim("body")), 0)),
            name=f"{prefix}_body_not_blank",
            violation_error_message="This cannot be empty.",
        ),
        models.CheckConstraint(
            condition=models.Q(LessThanOrEqual(Length("body"), POST_MAX_LENGTH)),
            name=f"{prefix}_body_max_length",
            violation_error_message=f"At most {POST_MAX_LENGTH} characters.",
        ),
    ]


class Post(models.Model):
    """A post of 1 to 140 characters; deleted with its author."""

    body = models.CharField(max_length=POST_MAX_LENGTH, help_text="1 to 140 characters, not only spaces.")
    timestamp = models.DateTimeField(default=timezone.now, help_text="When it was posted (UTC); indexed.")
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


class Message(models.Model):
    """A private message of 1 to 140 characters from one person to another."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_received")
    body = models.CharField(max_length=POST_MAX_LENGTH, help_text="1 to 140 characters, not only spaces.")
    timestamp = models.DateTimeField(default=timezone.now, help_text="When it was sent (UTC).")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["recipient", "-timestamp", "-id"], name="posts_message_inbox")]
        constraints = body_constraints("posts_message")

    def __str__(self):
        return Truncator(self.body).chars(50)
