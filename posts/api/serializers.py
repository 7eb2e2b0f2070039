import datetime

from rest_framework import serializers

from accounts.api.serializers import UserSummarySerializer, user_summary, utc_iso
from posts.models import Post


class PostSerializer(serializers.ModelSerializer):
    """A post: the author is the requester on create, shown as {id, username, avatar}."""

    author = UserSummarySerializer(read_only=True)
    timestamp = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)

    class Meta:
        model = Post
        fields = ("id", "body", "timestamp", "author")
        read_only_fields = ("id", "timestamp", "author")

    # Reads build the dict directly (see UserSummarySerializer.to_representation); tests check it
    # equals DRF's field-by-field representation.
    def to_representation(self, post):
        return {
            "id": post.pk,
            "body": post.body,
            "timestamp": utc_iso(post.timestamp),
            "author": user_summary(post.author, self.context.get("request")),
        }
