"""`{% route 'index' %}`, `{% route 'profile' person.username %}`: `{% url %}` for routes of at most one
argument, looked up once.

The layout of every page links a dozen routes; `{% url %}` searches the URLconf for each of them on every
page (about 20-40 µs each here, measured), although their URLs only change with the script prefix and the
URLconf. For routes declared with path() whose argument takes Django's `int` or `str` converter (as
project.routes.Route builds them); anything else, such as a re_path() with a narrower pattern, keeps
`{% url %}`. Registered as the "routes" library in settings.TEMPLATES (the project package is not an app).
"""

from django import template
from django.urls import reverse

from project.routes import fixed_url, route_url

register = template.Library()


@register.simple_tag
def route(name: str, *args) -> str:
    """The URL of the route `name` with `args` (none or one: an int or a str), as reverse(name, args) gives it."""
    if not args:
        return fixed_url(name)
    if len(args) == 1:
        return route_url(name, args[0])
    return reverse(name, args=args)
