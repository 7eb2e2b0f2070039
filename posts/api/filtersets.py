import django_filters

from core.filters import IdFilter, UTCIsoDateTimeFilter
from posts.models import Post


class PostFilter(django_filters.FilterSet):
    author = IdFilter()
    author__username = django_filters.CharFilter(field_name="author__username", lookup_expr="iexact")
    since = UTCIsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = UTCIsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")

    class Meta:
        model = Post
        fields = ("author", "author__username", "since", "until")
