"""A person's links (their profile page, their hover card), as reverse() gives them, built cheaply.

A page of posts links every author twice; project.routes.Route builds those URLs with a string join
instead of a search of the URLconf.
"""

from collections.abc import Callable

from accounts.avatars import AVATAR
from accounts.models import User
from project.routes import Route

_profile = Route("profile", username=str)
_popup = Route("popup", username=str)


def profile_url(person) -> str:
    """reverse("profile", kwargs={"username": person.username})."""
    return _profile(person.username)


def popup_url(person) -> str:
    """reverse("popup", kwargs={"username": person.username})."""
    return _popup(person.username)


def person_links() -> Callable[[User], dict[str, str]]:
    """person -> {"profile_url", "popup_url", "avatar_url"}, for many people in one request (a page of posts)."""
    profile, popup, avatar = _profile.maker(), _popup.maker(), AVATAR.maker()

    def links(person: User) -> dict[str, str]:
        return {
            "profile_url": profile(person.username),
            "popup_url": popup(person.username),
            "avatar_url": avatar(person.pk),
        }

    return links
