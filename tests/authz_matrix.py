"""The authorization matrix: every unsafe (route, method) of the URLconf and who may do it.

`unsafe_routes()` reads the URLconf; `TABLE` says, for each pair it finds, what an anonymous visitor,
another signed-in person, the owner and a staff member get; `REQUESTS` says how to call each route.
tests/test_authorization_matrix.py makes every request and checks the table against the URLconf, so a
new route without an entry (or an entry for a route that is gone) fails the suite.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.views.decorators import http as http_decorators

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
ROLES = ("anonymous", "another", "owner", "staff")
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
NEW_PASSWORD = "a new long passphrase 42"


# --- reading the URLconf ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # as ResolverMatch.route spells it: "api/posts/(?P<pk>[^/.]+)/$"
    name: str  # "api:post-detail" (empty for unnamed routes)
    methods: frozenset[str]  # the unsafe methods the view accepts
    regex: bool  # its last part is a re_path()

    @property
    def key(self) -> str:
        """The route as the table writes it: DRF's regex groups read like path() converters."""
        return readable(self.route) if self.regex else self.route

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:") or self.route.startswith("admin/")

    @property
    def is_api(self) -> bool:
        return self.route.startswith(("api/", "^api/"))


def readable(route: str) -> str:
    """'api/posts/(?P<pk>[^/.]+)/$' → 'api/posts/<pk>/'; an unnamed group is <_>; no $ (a prefix): a final *."""
    shown = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
    shown = re.sub(r"\((?!\?)[^)]*\)", "<_>", shown).removeprefix("^")
    return shown.removesuffix("$") if shown.endswith("$") else shown + "*"


def _join(prefix: str, route: str) -> str:
    """Like URLResolver._join_route, so the result equals ResolverMatch.route."""
    return prefix + route.removeprefix("^") if prefix else route


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, (namespace, pattern.namespace)))
            yield from _walk(pattern.url_patterns, _join(prefix, str(pattern.pattern)), inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name or ""
            yield _join(prefix, str(pattern.pattern)), name, pattern


def accepted_unsafe_methods(callback) -> frozenset[str]:
    """The unsafe methods a view answers (rather than 405), read from the view itself."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return frozenset(_function_view_methods(callback))
    initkwargs = getattr(callback, "initkwargs", None) or getattr(callback, "view_initkwargs", None) or {}
    allowed = initkwargs.get("http_method_names", view_class.http_method_names)
    actions = getattr(callback, "actions", None)  # a DRF router route: method → viewset action
    handled = actions.keys() if actions else [m for m in allowed if hasattr(view_class, m)]
    return frozenset(m.upper() for m in handled if m in allowed and m.upper() in UNSAFE)


def _function_view_methods(func) -> set[str]:
    """The methods @require_http_methods (require_POST, require_safe, …) lets through; all without it."""
    while func is not None:
        code = getattr(func, "__code__", None)
        if code and code.co_filename == http_decorators.__file__ and "request_method_list" in code.co_freevars:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents) & set(UNSAFE)
        func = getattr(func, "__wrapped__", None)  # login_required, csrf_protect, admin_view… use wraps()
    return set(UNSAFE)


def unsafe_routes() -> list[Route]:
    """Every reachable route of the URLconf with the unsafe methods it accepts (maybe none).

    Skipped, because they are the same view as a route that is listed: a route whose pattern an
    earlier one already has (it can never match: accounts/login/ of django.contrib.auth.urls,
    shadowed by ours), and DRF's format-suffix twins (`posts.json`) of a router route.
    """
    routes, seen, callbacks = [], set(), set()
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if route in seen:
            continue
        seen.add(route)
        if "(?P<format>" in route or "<drf_format_suffix:format>" in route:
            assert pattern.callback in callbacks, f"{route}: a format suffix without its route"
            continue
        callbacks.add(pattern.callback)
        regex = isinstance(pattern.pattern, RegexPattern)
        routes.append(Route(route, name, accepted_unsafe_methods(pattern.callback), regex))
    return routes


def unsafe_pairs(*, admin: bool) -> dict[tuple[str, str], Route]:
    """(route key, method) → Route, for the admin's routes or for all the others."""
    return {(r.key, m): r for r in unsafe_routes() if r.is_admin == admin for m in sorted(r.methods)}


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a response must be; `unchanged`: the database must be exactly as before the request."""

    label: str
    statuses: frozenset[int]
    unchanged: bool
    location: str = ""  # the redirect goes there (prefix)
    not_location: str = ""  # …or anywhere but there

    def __str__(self) -> str:
        return self.label


def _codes(statuses) -> str:
    return "/".join(map(str, sorted(statuses)))


def ok(*statuses: int) -> Outcome:
    """Allowed: the request does what it is for."""
    return Outcome(f"ok {_codes(statuses)}", frozenset(statuses), unchanged=False)


def noop(*statuses: int) -> Outcome:
    """Answered, but it changes nothing (a PUT re-renders a form; signed in, the sign-in page redirects)."""
    return Outcome(f"no-op {_codes(statuses)}", frozenset(statuses), unchanged=True)


def refused(status: int) -> Outcome:
    return Outcome(f"refused {status}", frozenset({status}), unchanged=True)


LOGIN = Outcome("sign-in redirect", frozenset({302}), unchanged=True, location="/accounts/login/?next=")
ADMIN_LOGIN = Outcome("admin sign-in redirect", frozenset({302}), unchanged=True, location="/admin/login/?next=")
# Coarse on purpose: past its gate the admin applies its own model permissions (tests/test_admin.py).
ADMIN_GATE_PASSED = Outcome(
    "past the admin's gate", frozenset({200, 302, 403, 405}), unchanged=False, not_location="/admin/login/"
)
UNAUTHORIZED, FORBIDDEN, NOT_FOUND = refused(401), refused(403), refused(404)


@dataclass(frozen=True)
class Expect:
    anonymous: Outcome
    another: Outcome  # signed in, not the owner
    owner: Outcome
    staff: Outcome


def same(outcome: Outcome) -> Expect:
    return Expect(outcome, outcome, outcome, outcome)


def signed_in(anonymous: Outcome, outcome: Outcome) -> Expect:
    """Anonymous gets one thing, everyone signed in another."""
    return Expect(anonymous, outcome, outcome, outcome)


def admin_expect(key: str, method: str) -> Expect:
    """The coarse admin rule: non-staff are sent to the admin's sign-in, staff get past the gate."""
    if key == "admin/login/":  # the sign-in form itself (a LoginView): a POST without credentials re-renders it
        return same(noop(200) if method in ("POST", "PUT") else refused(405))
    if key == "admin/logout/":  # not signed in to the admin: back to its index (which asks to sign in)
        to_index = Outcome("redirect to the admin index", frozenset({302}), unchanged=True, location="/admin/")
        return Expect(to_index, to_index, to_index, ADMIN_GATE_PASSED)
    if key == "admin/<url>":  # the final catch-all: an unknown admin page
        return Expect(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND)
    if key.startswith("admin/r/"):  # "view on site": a person has no page of that kind
        return Expect(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NOT_FOUND)
    return Expect(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_GATE_PASSED)


# --- how to call each route ---------------------------------------------------------------------

Data = dict | Callable  # (scenario, me) → dict; `me` is the signed-in person, or the owner for anonymous


@dataclass(frozen=True)
class Call:
    url: str  # formatted with s=<the scenario>: "/api/posts/{s.post.pk}/"
    data: Data


def credentials(s, me) -> dict:
    return {"username": me.username, "password": PASSWORD}


def profile_change(s, me) -> dict:
    return {"username": me.username, "about_me": "Changed by the matrix"}


def password_reset(s, me) -> dict:
    return {"email": s.owner.email}


def unit_data(s, me) -> dict:
    return {"name": "Matrix unit", "abbr": "MU", "department": s.department.pk}


def designation_data(s, me) -> dict:
    return {"name": "Matrix designation", "abbr": "MX", "cadre": s.cadre.pk}


POST_BODY = {"body": "Posted by the matrix"}
NEW_PASSWORDS = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
PASSWORDS = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
NEWCOMER_EMAIL = "newcomer@example.org"
DEPARTMENT = {"name": "Matrix department", "abbr": "MD", "kind": "department"}

REQUESTS: dict[str, Call] = {
    # pages (session and CSRF token)
    "": Call("/", POST_BODY),
    "follow/<str:username>/": Call("/follow/{s.owner.username}/", {}),
    "unfollow/<str:username>/": Call("/unfollow/{s.owner.username}/", {}),
    "edit_profile/": Call("/edit_profile/", profile_change),
    "send_message/<str:username>/": Call("/send_message/{s.owner.username}/", POST_BODY),
    "accounts/register/": Call("/accounts/register/", {"username": "newcomer", "email": NEWCOMER_EMAIL, **PASSWORDS}),
    "accounts/login/": Call("/accounts/login/", credentials),
    "accounts/logout/": Call("/accounts/logout/", {}),
    "accounts/password_change/": Call("/accounts/password_change/", {"old_password": PASSWORD, **NEW_PASSWORDS}),
    "accounts/password_reset/": Call("/accounts/password_reset/", password_reset),
    "accounts/reset/<uidb64>/<token>/": Call("/accounts/reset/{s.reset_uid}/{s.reset_token}/", NEW_PASSWORDS),
    "i18n/setlang/": Call("/i18n/setlang/", {"language": "hi", "next": "/explore/"}),
    "export/": Call("/export/", {}),
    "api-auth/login/": Call("/api-auth/login/", credentials),
    "api-auth/logout/": Call("/api-auth/logout/", {}),
    # the API (token)
    "api/auth/token/": Call("/api/auth/token/", credentials),
    "api/users/": Call("/api/users/", {"username": "newcomer", "email": NEWCOMER_EMAIL, "password": NEW_PASSWORD}),
    "api/users/me/export/": Call("/api/users/me/export/", {}),
    "api/users/<pk>/": Call("/api/users/{s.owner.pk}/", {"about_me": "Changed by the matrix"}),
    "api/users/<pk>/follow/": Call("/api/users/{s.owner.pk}/follow/", {}),
    "api/posts/": Call("/api/posts/", POST_BODY),
    "api/posts/<pk>/": Call("/api/posts/{s.post.pk}/", {"body": "Edited by the matrix"}),
    "api/departments/": Call("/api/departments/", DEPARTMENT),
    "api/departments/<pk>/": Call("/api/departments/{s.department.pk}/", DEPARTMENT),
    "api/units/": Call("/api/units/", unit_data),
    "api/units/<pk>/": Call("/api/units/{s.unit.pk}/", unit_data),
    "api/cadres/": Call("/api/cadres/", {"name": "Matrix cadre"}),
    "api/cadres/<pk>/": Call("/api/cadres/{s.cadre.pk}/", {"name": "Matrix cadre"}),
    "api/designations/": Call("/api/designations/", designation_data),
    "api/designations/<pk>/": Call("/api/designations/{s.designation.pk}/", designation_data),
    "api/*": Call("/api/no-such-endpoint/", {}),
}

# --- the table: (route, method) → Expect(anonymous, another, owner, staff) ---------------------
# "owner": the person named in the URL, the author of the post, a head of the department or unit; for
# routes about the requester only (edit_profile, sign-in, a new post) it is simply another signed-in person.

SIGNED_IN_ONLY = signed_in(LOGIN, ok(302))
FORM_IGNORES_PUT = signed_in(LOGIN, noop(200))  # the view reads request.POST only: PUT & co re-render it
STAFF_WRITES = Expect(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(201))
STAFF_CHANGES = Expect(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(200))
STAFF_DELETES = Expect(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(204))
FOR_ANONYMOUS = signed_in(ok(302), noop(302))  # register, sign in: signed in, you are sent away, nothing done
FOR_ANONYMOUS_PUT = signed_in(noop(200), noop(302))

TABLE: dict[tuple[str, str], Expect] = {
    # pages
    ("", "POST"): signed_in(noop(200), ok(302)),  # anonymous: the landing page, no form
    ("", "PUT"): same(noop(200)),
    ("", "PATCH"): same(noop(200)),
    ("", "DELETE"): same(noop(200)),
    ("follow/<str:username>/", "POST"): Expect(LOGIN, ok(302), noop(302), ok(302)),  # yourself: an error message
    ("unfollow/<str:username>/", "POST"): SIGNED_IN_ONLY,
    ("edit_profile/", "POST"): SIGNED_IN_ONLY,
    ("edit_profile/", "PUT"): FORM_IGNORES_PUT,
    ("edit_profile/", "PATCH"): FORM_IGNORES_PUT,
    ("edit_profile/", "DELETE"): FORM_IGNORES_PUT,
    ("send_message/<str:username>/", "POST"): SIGNED_IN_ONLY,
    ("send_message/<str:username>/", "PUT"): FORM_IGNORES_PUT,
    ("send_message/<str:username>/", "PATCH"): FORM_IGNORES_PUT,
    ("send_message/<str:username>/", "DELETE"): FORM_IGNORES_PUT,
    ("accounts/register/", "POST"): FOR_ANONYMOUS,
    ("accounts/register/", "PUT"): FOR_ANONYMOUS_PUT,
    ("accounts/register/", "PATCH"): FOR_ANONYMOUS_PUT,
    ("accounts/register/", "DELETE"): FOR_ANONYMOUS_PUT,
    ("accounts/login/", "POST"): FOR_ANONYMOUS,  # anonymous signs in as the owner
    ("accounts/login/", "PUT"): FOR_ANONYMOUS_PUT,
    ("accounts/logout/", "POST"): same(ok(302)),
    ("accounts/password_change/", "POST"): SIGNED_IN_ONLY,  # one's own password, knowing the old one
    ("accounts/password_change/", "PUT"): FORM_IGNORES_PUT,
    ("accounts/password_reset/", "POST"): same(ok(302)),  # mail to the owner's address, no row changes
    ("accounts/password_reset/", "PUT"): same(noop(200)),
    # The owner's valid link: the token moves to the session and the page redirects to the form;
    # the password changes only with the next POST, from that session (the token is the permission).
    ("accounts/reset/<uidb64>/<token>/", "POST"): same(noop(302)),
    ("accounts/reset/<uidb64>/<token>/", "PUT"): same(noop(302)),
    ("i18n/setlang/", "POST"): same(ok(302)),  # anyone: the language cookie; signed in, it is saved too
    ("export/", "POST"): SIGNED_IN_ONLY,  # an export of one's own posts
    ("api-auth/login/", "POST"): same(ok(302)),  # the browsable API's sign-in (Django's LoginView)
    ("api-auth/login/", "PUT"): same(noop(200)),
    ("api-auth/logout/", "POST"): same(ok(302)),
    # the API
    ("api/auth/token/", "POST"): same(ok(200)),  # your own credentials (anonymous: the owner's)
    ("api/auth/token/", "DELETE"): signed_in(UNAUTHORIZED, ok(204)),
    ("api/users/", "POST"): same(ok(201)),  # registration is open
    ("api/users/me/export/", "POST"): signed_in(UNAUTHORIZED, ok(202)),
    ("api/users/<pk>/", "PATCH"): Expect(UNAUTHORIZED, FORBIDDEN, ok(200), ok(200)),
    ("api/users/<pk>/follow/", "POST"): Expect(UNAUTHORIZED, ok(200), refused(400), ok(201)),  # another follows
    ("api/users/<pk>/follow/", "DELETE"): signed_in(UNAUTHORIZED, ok(204)),
    ("api/posts/", "POST"): signed_in(UNAUTHORIZED, ok(201)),
    ("api/posts/<pk>/", "PATCH"): Expect(UNAUTHORIZED, FORBIDDEN, ok(200), ok(200)),
    ("api/posts/<pk>/", "DELETE"): Expect(UNAUTHORIZED, FORBIDDEN, ok(204), ok(204)),
    ("api/departments/", "POST"): STAFF_WRITES,
    ("api/departments/<pk>/", "PUT"): STAFF_CHANGES,
    ("api/departments/<pk>/", "PATCH"): STAFF_CHANGES,
    ("api/departments/<pk>/", "DELETE"): STAFF_DELETES,
    ("api/units/", "POST"): STAFF_WRITES,
    ("api/units/<pk>/", "PUT"): STAFF_CHANGES,
    ("api/units/<pk>/", "PATCH"): STAFF_CHANGES,
    ("api/units/<pk>/", "DELETE"): STAFF_DELETES,
    ("api/cadres/", "POST"): STAFF_WRITES,
    ("api/cadres/<pk>/", "PUT"): STAFF_CHANGES,
    ("api/cadres/<pk>/", "PATCH"): STAFF_CHANGES,
    ("api/cadres/<pk>/", "DELETE"): STAFF_DELETES,
    ("api/designations/", "POST"): STAFF_WRITES,
    ("api/designations/<pk>/", "PUT"): STAFF_CHANGES,
    ("api/designations/<pk>/", "PATCH"): STAFF_CHANGES,
    ("api/designations/<pk>/", "DELETE"): STAFF_DELETES,
    ("api/*", "POST"): same(NOT_FOUND),  # unknown /api/ paths
    ("api/*", "PUT"): same(NOT_FOUND),
    ("api/*", "PATCH"): same(NOT_FOUND),
    ("api/*", "DELETE"): same(NOT_FOUND),
}
