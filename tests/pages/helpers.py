"""Shared by the HTML page tests: signing in, pagination links, form parsing, query counting."""

import re
from html import unescape
from html.parser import HTMLParser

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
RAW_SCRIPT = "<script>alert(1)</script>"


def sign_in(client: Client, user: User) -> Client:
    """force_login `user`, seen just now: the once-a-minute last_seen write stays out of query counts."""
    User.objects.filter(pk=user.pk).update(last_seen=timezone.now())
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def count_queries(client: Client, url: str) -> int:
    """How many SQL queries a GET of `url` runs (and it answers 200)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def link(response, rel: str) -> str | None:
    """The href of the pagination link rel="next"/"prev" (unescaped), or None."""
    match = re.search(rf'<a class="page-link" href="([^"]*)" rel="{rel}"', text(response))
    return unescape(match.group(1)) if match else None


def follow_link(client: Client, response, rel: str):
    """GET the pagination link `rel` of `response`, relative to the page's own path."""
    href = link(response, rel)
    assert href, f"no rel={rel} link"
    return client.get(response.request["PATH_INFO"] + href if href.startswith("?") else href)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def unlabelled_fields(html: str) -> list[str]:
    """Names of visible inputs, textareas and selects without a <label for=their id>."""
    found = tags(html)
    label_for = {attrs.get("for") for tag, attrs in found if tag == "label"}
    missing = []
    for tag, attrs in found:
        if tag not in {"input", "textarea", "select"}:
            continue
        if tag == "input" and attrs.get("type") in {"hidden", "submit", "button", "reset", "image"}:
            continue
        if not attrs.get("id") or attrs["id"] not in label_for:
            missing.append(attrs.get("name") or attrs.get("id") or tag)
    return missing


def visible_field_names(html: str) -> list[str]:
    return [
        attrs.get("name")
        for tag, attrs in tags(html)
        if tag in {"input", "textarea", "select"} and attrs.get("type") not in {"hidden", "submit"}
    ]


def csrf_token(client: Client, url: str) -> str:
    """GET `url` and return the CSRF token its form carries."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(client.get(url)))
    assert match, f"no CSRF token on {url}"
    return match.group(1)
