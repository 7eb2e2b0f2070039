"""Post cards from the shared cache: `{% post_cards page as cards %}` (each post's card, all at once) and
`{% kept_cards page %}` (a whole page of cards of a list whose versions the view knows)."""

from django import template
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template.loader import render_to_string
from django.utils.translation import get_language

from core.caching import cached

register = template.Library()

CARD_TEMPLATE = "includes/post_card.html"
TIMEOUT = 24 * 60 * 60


@register.simple_tag
def post_cards(posts) -> list[str]:
    """Each post's card (includes/post_card.html), kept in the shared cache by what it shows: the post, its
    text and time, its author and their username, and the language, so an edit or a rename makes a new key.

    Django's `{% cache %}` would ask the cache once per card, 25 round trips to Redis for a page; here one
    `get_many` asks for all of them (under the keys `{% cache %}` would use) and one `set_many` keeps the
    cards it had to render.
    """
    language = get_language()
    keys = [
        make_template_fragment_key("post_card", [p.pk, p.body, p.timestamp, p.author_id, p.author.username, language])
        for p in posts
    ]
    found = cache.get_many(keys)
    missing = [(key, post) for key, post in zip(keys, posts, strict=True) if key not in found]
    rendered = {key: render_to_string(CARD_TEMPLATE, {"post": post}) for key, post in missing}
    if rendered:
        cache.set_many(rendered, TIMEOUT)
    return [found[key] if key in found else rendered[key] for key in keys]


@register.simple_tag(takes_context=True)
def kept_cards(context, page, empty: str = "") -> str:
    """A page of a list's cards (includes/post_list.html), kept under the list's name, the page and the language,
    with the versions the view read the list under (`cards_key`, a core.pages.KeptList): computed again once
    the list changes, and then kept in the same entry (core.caching), so a list has one entry per page and
    language, however often it changes. (`{% cache %}` with the versions in its key would leave an entry behind
    at every change; the file cache lists its whole folder on every write.) The page's rows are only read when
    the entry is out of date."""
    kept = context["cards_key"]

    def render() -> str:
        return render_to_string("includes/post_list.html", {"page": page, "empty": empty})

    return cached(f"cards:{kept.name}:{page.number}:{get_language()}", render, at=kept.at)
