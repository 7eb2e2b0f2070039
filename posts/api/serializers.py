import datetime

from rest_framework import serializers

from accounts.api.serializers import UserSummarySerializer
from posts.models import Post


class PostSerializer(serializers.ModelSerializer):
    """A post: the author is the requester on create, shown as {id, username, avatar}."""

    author = UserSummarySerializer(read_only=True)
    timestamp = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)

    class Meta:
        model = Post
        fields = ("id", "body", "timestamp", "author")
        read_only_fields = ("id", "timestamp", "author")
