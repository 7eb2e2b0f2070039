from django.contrib import admin

from posts.models import Message, Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("__str__", "author", "timestamp")
    list_select_related = ("author",)
    list_filter = ("timestamp",)
    search_fields = ("body", "author__username")
    autocomplete_fields = ("author",)
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)
    show_full_result_count = False  # COUNT(*) over every post on each page is wasted work


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "sender", "recipient", "timestamp")
    list_select_related = ("sender", "recipient")
    list_filter = ("timestamp",)
    search_fields = ("body", "sender__username", "recipient__username")
    autocomplete_fields = ("sender", "recipient")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)
    show_full_result_count = False
