import django_filters

from posts.models import Post
from project.filters import IdFilter, UTCIsoDateTimeFilter


class PostFilter(django_filters.FilterSet):
    author = IdFilter()
    author__username = django_filters.CharFilter(field_name="author__username", lookup_expr="iexact")
    since = UTCIsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = UTCIsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")

    class Meta:
        model = Post
        fields = ("author", "author__username", "since", "until")
