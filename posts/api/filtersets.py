import django_filters

from posts.models import Post


class PostFilter(django_filters.FilterSet):
    author = django_filters.NumberFilter()
    author__username = django_filters.CharFilter(field_name="author__username", lookup_expr="iexact")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")

    class Meta:
        model = Post
        fields = ("author", "author__username", "since", "until")
