import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.invalidation import person_changed
from accounts.models import User
from core.middleware import is_outage

logger = logging.getLogger(__name__)


class LastSeenMiddleware:
    """Refresh `last_seen` of people signed in on the web, at most once per LAST_SEEN_INTERVAL (no write per request).

    "Seen" is a request of a signed-in browser: the pages, and the API calls their JavaScript makes with the
    session. A request with an API token (a script, another application) is not a visit and writes nothing,
    as in microblog, whose `last_seen` follows the signed-in web user (Flask-Login's `current_user`), never
    its API tokens.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and SESSION_KEY in session:
            now = timezone.now()
            if user.last_seen is None or now - user.last_seen >= timedelta(seconds=settings.LAST_SEEN_INTERVAL):
                try:
                    User.objects.filter(pk=user.pk).update(last_seen=now)
                except DatabaseError as error:
                    if not is_outage(error):
                        raise
                    # The view has answered; the database went away since. The answer stands (a 503 would
                    # take it back, after any write it made); the next request refreshes last_seen.
                    logger.warning("last_seen not refreshed, database unavailable: %s", error)
                    return response
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
            language = ""  # the view meets the error again, where DatabaseErrorMiddleware answers 503
        if language in self.languages:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def password_change_required_body() -> dict:
    """The 403 of the API for a person who must choose a new password (token endpoint, session requests)."""
    detail = _("Choose a new password on the web pages first (%(url)s).") % {"url": reverse("password_change")}
    return {"detail": detail, "code": "password_change_required"}


class PasswordChangeRequiredMiddleware:
    """A signed-in person whose password came in as plain text (User.must_change_password) chooses a new one first.

    Every page redirects to the password change page (?next= the page asked for), with a message; the API
    answers 403 (password_change_required_body). Left alone: the password change pages, signing out, the
    language switcher, the avatars and the favicon (static files never get here: WhiteNoise answers them).
    The form that sets the password clears the flag (accounts.forms.RevokesTokensMixin).

    In process_view, after every middleware has seen the request (the messages are there). No query of its
    own: request.user is loaded for every request anyway (UserLanguageMiddleware, LastSeenMiddleware).
    """

    # The site's password change, where a flagged person is sent (the admin's own page, for staff, clears the
    # flag too since it uses the same form mixin, but is not where the message points).
    ALLOWED_VIEWS = {
        "password_change",
        "password_change_done",
        "logout",
        "admin:logout",
        "rest_framework:logout",
        "set_language",
        "avatar",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            flagged = getattr(request.user, "must_change_password", False)  # AnonymousUser has none
        except DatabaseError:
            return None  # the view meets the error again, where DatabaseErrorMiddleware answers 503
        path = request.path_info
        if not flagged or request.resolver_match.view_name in self.ALLOWED_VIEWS or path == "/favicon.ico":
            return None
        if path.startswith("/api/") or not _is_navigation(request):
            return JsonResponse(password_change_required_body(), status=403)
        messages.info(request, _("Please choose a new password before you go on."))
        target = reverse("password_change")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


def _is_navigation(request) -> bool:
    """Whether the browser asked for a page to show, not a script for data (the navigation's polling, the hover
    cards): those get the API's 403 instead of a redirect, and leave no message behind."""
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    return "X-Requested-With" not in request.headers and "application/json" not in request.headers.get("Accept", "")
