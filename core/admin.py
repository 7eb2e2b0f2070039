"""What every ModelAdmin of the project shares."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import BadRequest
from rest_framework.authtoken.models import TokenProxy

from core.search import search_problem


class BoundedSearchAdmin:
    """A ModelAdmin mixin: a search past the bounds of core.search is a 400 page, not a failed query."""

    def get_search_results(self, request, queryset, search_term):
        problem = search_problem(search_term)
        if problem:
            raise BadRequest(problem)
        return super().get_search_results(request, queryset, search_term)


def bound_search_of(model) -> None:
    """Register `model` again with its admin class and BoundedSearchAdmin (for the admins of other packages)."""
    model_admin = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (BoundedSearchAdmin, model_admin), {}))


# The searchable admins of Django and DRF that the project shows: groups and tokens.
bound_search_of(Group)
bound_search_of(TokenProxy)
