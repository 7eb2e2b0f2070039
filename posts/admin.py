from django.contrib import admin

from core.admin import BoundedSearchAdmin
from posts.models import Message, Post, PostExport


@admin.register(Post)
class PostAdmin(BoundedSearchAdmin, admin.ModelAdmin):
    list_display = ("__str__", "author", "timestamp")
    list_select_related = ("author",)
    list_filter = ("timestamp",)
    search_fields = ("body", "author__username")
    autocomplete_fields = ("author",)
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)
    show_full_result_count = False  # COUNT(*) over every post on each page is wasted work


@admin.register(Message)
class MessageAdmin(BoundedSearchAdmin, admin.ModelAdmin):
    list_display = ("__str__", "sender", "recipient", "timestamp")
    list_select_related = ("sender", "recipient")
    list_filter = ("timestamp",)
    search_fields = ("body", "sender__username", "recipient__username")
    autocomplete_fields = ("sender", "recipient")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)
    show_full_result_count = False


@admin.register(PostExport)
class PostExportAdmin(BoundedSearchAdmin, admin.ModelAdmin):
    """Exports are made by their owners' tasks: the admin watches them (and may delete one), never edits."""

    list_display = ("user", "status", "progress", "created_at", "finished_at")
    list_select_related = ("user",)
    list_filter = ("status", "created_at")
    search_fields = ("user__username",)
    readonly_fields = (
        "id",
        "user",
        "status",
        "progress",
        "message",
        "file",
        "task_id",
        "created_at",
        "updated_at",
        "finished_at",
    )
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False
