from django.contrib import admin

from posts.models import Post


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
