from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone, translation

from accounts.invalidation import person_changed
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
                person_changed(user.pk, username_may_change=False)  # update() sends no signal
        return response


class UserLanguageMiddleware:
    """A signed-in person's saved language (User.language) wins over the cookie and Accept-Language.

    After AuthenticationMiddleware and LocaleMiddleware (which chose the language from the cookie or the
    header). No query of its own: LastSeenMiddleware loads request.user on every request anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        try:
            language = getattr(request.user, "language", "")  # AnonymousUser has none
        except DatabaseError:
            language = ""  # the view meets the error again, where DatabaseUnavailableMiddleware answers 503
        if language in self.languages:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
