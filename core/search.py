"""Bounds of every search box (the API's `?search=`, the site's search page, the admin's): a search past
them is a 400 that says so, not a query the database cannot run (SQLite: "Expression tree is too large",
from about 1,000 words; every engine spends longer on each word it is given)."""

from django.utils.translation import ngettext

MAX_SEARCH_LENGTH = 200  # characters
MAX_SEARCH_WORDS = 10


def search_problem(text: str, words: int | None = None) -> str | None:
    """Why `text` (split into `words` words, by default at white space) cannot be searched, or None."""
    if len(text) > MAX_SEARCH_LENGTH:
        return ngettext(
            "Search for at most %(count)d character.", "Search for at most %(count)d characters.", MAX_SEARCH_LENGTH
        ) % {"count": MAX_SEARCH_LENGTH}
    if (len(text.split()) if words is None else words) > MAX_SEARCH_WORDS:
        return ngettext(
            "Search for at most %(count)d word.", "Search for at most %(count)d words.", MAX_SEARCH_WORDS
        ) % {"count": MAX_SEARCH_WORDS}
    return None
