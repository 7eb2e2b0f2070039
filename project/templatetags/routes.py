"""`{% route 'index' %}`: `{% url 'index' %}` for a route without arguments, looked up once.

The layout of every page links a dozen such routes; `{% url %}` searches the URLconf for each of them on
every page (about 40 µs each here, measured), although their URLs only change with the script prefix and
the URLconf. Registered as the "routes" library in settings.TEMPLATES (the project package is not an app).
"""

from django import template

from project.routes import fixed_url

register = template.Library()


@register.simple_tag
def route(name: str) -> str:
    """The URL of the route `name` (which takes no arguments), as reverse(name) gives it."""
    return fixed_url(name)
