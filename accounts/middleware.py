from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import User


class LastSeenMiddleware:
    """Refresh `last_seen` of signed-in people, at most once per LAST_SEEN_INTERVAL (no write per request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            if user.last_seen is None or now - user.last_seen >= timedelta(seconds=settings.LAST_SEEN_INTERVAL):
                User.objects.filter(pk=user.pk).update(last_seen=now)
                user.last_seen = now
        return response
