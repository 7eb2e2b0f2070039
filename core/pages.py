"""What the HTML pages share."""

import hashlib
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from core.caching import cached, keep, lookup, versions

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE, count: int | None = None) -> Page:
    """The page named by ?page= (a bad or too-large number gives the nearest page, never an error).

    `count`: the number of rows when it is already known (saves the paginator's COUNT query).
    """
    paginator = Paginator(queryset if count is None else Counted(queryset, count), per_page)
    return paginator.get_page(request.GET.get("page"))


class Counted:
    """Rows whose number is known: what Django's Paginator asks of a list (`count()`, then a slice), no COUNT."""

    def __init__(self, rows, count: int):
        self.rows, self.total = rows, count

    def count(self) -> int:
        return self.total

    def __getitem__(self, index):
        return self.rows[index]


class KeptList(NamedTuple):
    """A list of rows and the versions of its scopes it is read under (core.caching): what a page of it, rendered,
    is kept under (`{% kept_cards %}`, posts/templatetags/cards.py)."""

    name: str
    at: str


def paginate_cached(
    request, queryset, name: str, *scopes: str, per_page: int = PAGE_SIZE, count: Callable[[], int] | None = None
) -> tuple[Page, KeptList]:
    """`paginate()` with the list's count kept in the shared cache under `name` and the versions of `scopes`.

    `count`: what gives the number of rows, where it is cheaper than COUNT (default: `queryset.count`).
    Returns the page and the list with those versions (`cards_key`, for includes/posts.html to keep the
    page's markup under): the page's rows are only read if that markup is not kept.
    """
    key = versions(*scopes)
    count = cached(f"count:{name}", count or queryset.count, at=key)
    return paginate(request, queryset, per_page, count=count), KeptList(name, key)


def cached_page(request, name: str, render: Callable[[], HttpResponse], scopes: Iterable[str]) -> HttpResponse:
    """The page `render()` answers, its HTML kept in the shared cache for this viewer under the versions of `scopes`.

    `scopes` must name everything the page shows (core.caching), the layout's signed-in person included. The key
    also holds `name`, the path and query, the language, the viewer and their CSRF cookie: the forms of a kept
    page carry CSRF tokens made from that cookie's secret, which stay valid for as long as the browser sends it
    (a new sign-in rotates it). Kept and served only for GET and HEAD requests that carry a CSRF cookie and
    have no message waiting to be shown, and only 200 answers are kept.
    """
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if request.method not in ("GET", "HEAD") or not csrf_cookie or get_messages(request):
        return render()
    request_digest = hashlib.sha256(f"{request.get_full_path()}\n{get_language()}\n{csrf_cookie}".encode()).hexdigest()
    key = f"page:{name}:{request.user.pk}:{request_digest[:32]}"
    at, kept = lookup(key, scopes)
    if kept is not None:
        get_token(request)  # as rendering the page's forms does: the CSRF cookie is sent again, kept fresh
        content, content_type = kept
        return HttpResponse(content, content_type=content_type)
    response = render()
    if response.status_code == 200 and not response.streaming and not response.cookies:
        keep(key, at, (response.content, response["Content-Type"]))
    return response


def add_service_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: on its field where the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        name = (aliases or {}).get(field, field)
        form.add_error(name if name in form.fields else None, errors)
