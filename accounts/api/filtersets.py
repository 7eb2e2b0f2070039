import django_filters

from accounts.models import User
from core.filters import IdFilter


class UserFilter(django_filters.FilterSet):
    """Ids are numbers, so a malformed value is a 400 (and no extra query validates it)."""

    username = django_filters.CharFilter(lookup_expr="iexact")
    department = IdFilter()
    unit = IdFilter()
    designation = IdFilter()

    class Meta:
        model = User
        fields = ("username", "department", "unit", "designation")
