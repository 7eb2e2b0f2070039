import datetime

from rest_framework import serializers

from accounts.api.serializers import UserSummarySerializer, user_summary, utc_iso
from posts.models import Post, PostExport
from posts.selectors import post_export_download_path


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


class PostExportSerializer(serializers.ModelSerializer):
    """An export job as its owner sees it: status, percent done and, when done, where to download it."""

    created_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)
    finished_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC, allow_null=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = PostExport
        fields = ("id", "status", "progress", "message", "created_at", "finished_at", "download")
        read_only_fields = fields

    def get_download(self, export) -> str | None:
        path = post_export_download_path(export)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if path and request else path
