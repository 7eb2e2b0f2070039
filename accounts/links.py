"""A person's links (their profile page, their hover card), as reverse() gives them, built cheaply.

A page of posts links every author twice; project.routes.Route builds those URLs with a string join
instead of a search of the URLconf.
"""

from project.routes import Route

_profile = Route("profile", username=str)
_popup = Route("popup", username=str)


def profile_url(person) -> str:
    """reverse("profile", kwargs={"username": person.username})."""
    return _profile(person.username)


def popup_url(person) -> str:
    """reverse("popup", kwargs={"username": person.username})."""
    return _popup(person.username)
