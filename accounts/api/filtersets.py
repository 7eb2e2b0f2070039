import django_filters

from accounts.models import User


class UserFilter(django_filters.FilterSet):
    """Ids are numbers, so a malformed value is a 400 (and no extra query validates it)."""

    username = django_filters.CharFilter(lookup_expr="iexact")
    department = django_filters.NumberFilter()
    unit = django_filters.NumberFilter()
    designation = django_filters.NumberFilter()

    class Meta:
        model = User
        fields = ("username", "department", "unit", "designation")
