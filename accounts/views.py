from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from accounts.avatars import identicon_svg


@require_safe
@cache_control(public=True, max_age=60 * 60 * 24 * 30, immutable=True)
def avatar(request, pk: int):
    """The identicon of user `pk` (drawn from the id alone: no database query)."""
    return HttpResponse(identicon_svg(f"user:{pk}"), content_type="image/svg+xml")
