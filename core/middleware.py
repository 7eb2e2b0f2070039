"""Middleware of the project: requests carrying a NUL character are refused; while the database is
unreachable (restart, failover, network), requests are answered 503 with Retry-After, not a 500 page."""

import logging
import sys

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views import defaults
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = gettext_lazy("The service is temporarily unavailable. Please try again in a few seconds.")


NUL = "\x00"
NUL_DETAIL = gettext_lazy("Null characters are not allowed.")


class RejectNullCharactersMiddleware:
    """A NUL anywhere in the path, the query string, a form field, a header or a cookie is a 400.

    No text column of any of our databases can hold one (PostgreSQL refuses it outright: the query failed
    with a 500), and no name, search or id contains one. Checked before sessions, authentication and the
    URLconf see the request; uploaded files (binary) are not looked at.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            # Answered before LocaleMiddleware: in the language the request asks for, not in whichever one
            # this thread's previous request left active.
            with translation.override(translation.get_language_from_request(request)):
                return bad_request_response(request, NUL_DETAIL)
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request) -> bool:
        if NUL in request.path or _any_nul(request.GET) or _any_nul(request.COOKIES):
            return True
        if any(NUL in str(value) for name, value in request.META.items() if name.startswith("HTTP_")):
            return True
        # A form's fields (the API takes JSON only: DRF refuses a form body with a 415 before reading it).
        if request.method != "POST" or request.content_type not in FORM_TYPES or request.path_info.startswith("/api/"):
            return False
        try:
            return _any_nul(request.POST)
        except MultiPartParserError:
            return False  # unreadable: Django answers 400 when the view (or the CSRF check) reads it


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _any_nul(mapping) -> bool:
    """A NUL in a key or a value of a QueryDict (every value of each key) or a dict."""
    pairs = mapping.lists() if hasattr(mapping, "lists") else ((key, [value]) for key, value in mapping.items())
    return any(NUL in key or any(NUL in value for value in values) for key, values in pairs)


def bad_request_response(request: HttpRequest, message) -> HttpResponse:
    """400: the API's invalid-input body ({"non_field_errors": [message]}), the site's 400 page otherwise."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({api_settings.NON_FIELD_ERRORS_KEY: [str(message)]}, status=400)
    return defaults.bad_request(request, BadRequest(message))


class DatabaseErrorMiddleware:
    """Database errors a view raises: an outage (`is_outage`) is a 503, JSON under /api/ and a page elsewhere; a
    write that lost a race at a database constraint (IntegrityError) is a 409 page.

    DRF views re-raise outages (core.api.exception_handler leaves them alone), so they arrive here too; their
    IntegrityErrors are answered 409 by that handler already. A page's IntegrityError comes after validation
    passed: another request changed the same rows in between (the person posting was deleted meanwhile, a name
    taken by a concurrent registration). The services write atomically, so nothing was half written: the 409
    says so and asks for a reload, instead of a 500. Django's connection handling (CONN_HEALTH_CHECKS) drops a
    broken connection at the end of the request, so the next request reconnects by itself once the database is
    back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, IntegrityError):
            logger.warning(
                "A write lost a race at a constraint, answered 409: %s %s (%s)",
                request.method,
                request.path,
                str(exception).strip().replace("\n", " "),
            )
            return concurrent_change_response(request)
        if not is_outage(exception):
            return None
        logger.error(
            "Database unavailable, answered 503: %s %s (%s: %s)",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).strip().replace("\n", " "),
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        # A user that failed to load would be loaded again (and fail again, as a 500) by middleware that
        # reads request.user on the way out, such as accounts.middleware.LastSeenMiddleware.
        request.user = AnonymousUser()
        return database_unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage raised outside any view (in a middleware, on the way out) is a 503 too.

    Wire it with `handler500 = "core.middleware.server_error"` in the root URLconf. Django logs the error
    (with its traceback) after this returns; anything else gets Django's own templated 500.
    """
    if is_outage(sys.exc_info()[1]):
        return database_unavailable_response(request)
    return defaults.server_error(request)


# What says "the database cannot be reached", as opposed to "this statement failed" (a 500: a bug).
POSTGRESQL_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03", "53300")  # connection, shutdown, too many clients
MYSQL_OUTAGE_ERRORS = {1040, 1053, 2002, 2003, 2005, 2006, 2013, 2055}  # too many, shutdown, can't connect, lost
SQLITE_OUTAGE_MESSAGES = ("database is locked", "unable to open database file", "disk i/o error")


def is_outage(exception) -> bool:
    """Whether a database error means the database is unreachable (a 503) rather than a failed statement.

    InterfaceError always does (the connection is closed). An OperationalError is read from the driver's
    own error, its cause: PostgreSQL's SQLSTATE (none at all when the connection failed on the client's
    side), MySQL's error number, SQLite's message. SQLite's "Expression tree is too large", PostgreSQL's
    "statement too complex" or a deadlock are failed statements. An OperationalError with no driver error
    behind it (raised by code, not by a driver) is taken for an outage.
    """
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    if cause is None:
        return True
    if type(cause).__module__.startswith("psycopg"):
        state = getattr(cause, "sqlstate", None)
        return state is None or state.startswith(POSTGRESQL_OUTAGE_STATES)
    if type(cause).__module__.startswith("sqlite3"):
        return str(cause).lower().startswith(SQLITE_OUTAGE_MESSAGES)
    code = cause.args[0] if cause.args and isinstance(cause.args[0], int) else None
    return code is None or code in MYSQL_OUTAGE_ERRORS


CONCURRENT_CHANGE = gettext_noop("This conflicts with a change made at the same time. Reload and try again.")


def concurrent_change_response(request: HttpRequest) -> HttpResponse:
    """409: {"detail": …} under /api/, the 409 page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": gettext(CONCURRENT_CHANGE)}, status=409)
    return render(request, "409.html", {"detail": gettext(CONCURRENT_CHANGE)}, status=409)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: {"detail": …} for the API, the standalone 503.html page (no database) otherwise."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL}, status=503)
    else:
        # Rendered without the request: no context processor (user, messages) may touch the database.
        response = HttpResponse(render_to_string("503.html", {"detail": DETAIL}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
