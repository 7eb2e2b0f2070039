"""What the HTML pages share."""

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator

from core.caching import cached, versions

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE, count: int | None = None) -> Page:
    """The page named by ?page= (a bad or too-large number gives the nearest page, never an error).

    `count`: the number of rows when it is already known (saves the paginator's COUNT query).
    """
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is never computed
    return paginator.get_page(request.GET.get("page"))


def paginate_cached(request, queryset, name: str, *scopes: str, per_page: int = PAGE_SIZE) -> tuple[Page, str]:
    """`paginate()` with the list's count kept in the shared cache under `name` and the versions of `scopes`.

    Returns the page and those versions (`cards_key`, for includes/posts.html to cache the page's markup
    under): the page's rows are only read if that markup is not cached.
    """
    key = versions(*scopes)
    count = cached(f"count:{name}", queryset.count, at=key)
    return paginate(request, queryset, per_page, count=count), f"{name}@{key}"


def add_service_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: on its field where the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        name = (aliases or {}).get(field, field)
        form.add_error(name if name in form.fields else None, errors)
