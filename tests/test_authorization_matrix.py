"""Who may change what: every unsafe route of the URLconf, tried by every role (issue #6).

The table is in tests/authz_matrix.py. Each (route, method, role) is one real request against real
rows: pages through Django's test client with the session and CSRF checks on, the API with a token.
A refused request (or one that should do nothing) must leave the database exactly as it was.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client, override_settings
from django.test.client import ClientHandler
from django.urls import resolve
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, ForceAuthClientHandler

from accounts.models import Follow, User
from organization.models import Cadre, Department, Designation, Unit
from posts.models import Message, Post
from tests.authz_matrix import (
    PASSWORD,
    REQUESTS,
    ROLES,
    TABLE,
    UNSAFE,
    Outcome,
    Route,
    admin_expect,
    noop,
    unsafe_pairs,
    unsafe_routes,
)
from tests.factories import (
    CadreFactory,
    DepartmentFactory,
    DesignationFactory,
    FollowFactory,
    MessageFactory,
    PostFactory,
    UnitFactory,
    UserFactory,
)
from tests.pages.helpers import sign_in

PAIRS = unsafe_pairs(admin=False)
ADMIN_ROUTES = {route.key: route for route in unsafe_routes() if route.is_admin and route.methods}
ADMIN_DATA = {"post": "yes"}  # what makes the admin's delete page delete: the gate must stop it first

# (route, method, role) → why it fails today; strict, so the fix shows up as an unexpected pass.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}
# conftest.py's hasher, for the rows made before its fixture applies
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every table but sessions (signing in writes one) and the fixed content types and permissions.
SNAPSHOT_TABLES = [
    model._meta.db_table
    for model in apps.get_models(include_auto_created=True)
    if model._meta.managed
    and not model._meta.proxy
    and model._meta.label not in {"sessions.Session", "contenttypes.ContentType", "auth.Permission"}
]


@dataclass
class Scenario:
    """Real rows for every route to act on; `owner` owns the post, heads the department and unit."""

    owner: User
    another: User
    staff: User
    post: Post
    follow: Follow
    message: Message
    department: Department
    unit: Unit
    cadre: Cadre  # empty: staff may delete it
    designation: Designation  # held by nobody: staff may delete it
    group: Group

    def actor(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)

    @property
    def reset_uid(self) -> str:
        return urlsafe_base64_encode(force_bytes(self.owner.pk))

    @property
    def reset_token(self) -> str:
        """The owner's reset token as of now (signing in changes it)."""
        return default_token_generator.make_token(User.objects.get(pk=self.owner.pk))

    @cached_property
    def admin_rows(self) -> dict:
        """The row each admin model URL is about, by "app_label/model_name"."""
        return {
            "accounts/user": self.owner,
            "accounts/follow": self.follow,
            "posts/post": self.post,
            "posts/message": self.message,
            "organization/department": self.department,
            "organization/unit": self.unit,
            "organization/cadre": self.cadre,
            "organization/designation": self.designation,
            "auth/group": self.group,
            "authtoken/tokenproxy": self.owner,  # the admin names a token by its user's id
        }


def make_scenario() -> Scenario:
    now = timezone.now()  # everyone seen just now: the once-a-minute last_seen write stays out of the way
    department = DepartmentFactory()
    unit = UnitFactory(department=department)
    owner = UserFactory(department=department, unit=unit, last_seen=now)
    department.heads.add(owner)
    unit.heads.add(owner)
    another = UserFactory(last_seen=now)
    # Staff with every model permission, not a superuser: the API and the admin both check them.
    staff = UserFactory(is_staff=True, last_seen=now)
    staff.user_permissions.set(Permission.objects.all())
    Token.objects.create(user=owner)
    return Scenario(
        owner=owner,
        another=another,
        staff=staff,
        post=PostFactory(author=owner),
        follow=FollowFactory(follower=another, followed=owner),
        message=MessageFactory(sender=another, recipient=owner),
        department=department,
        unit=unit,
        cadre=CadreFactory(),
        designation=DesignationFactory(),
        group=Group.objects.create(name="Moderators"),
    )


@pytest.fixture(scope="module")
def shared_scenario(django_db_setup, django_db_blocker) -> Iterator[Scenario]:
    """The rows, made once for the module in a transaction that is rolled back at its end.

    Each test runs in a savepoint inside it (pytest-django's `db`), so whatever a request changes is
    undone before the next test. Tests only read the Scenario's objects; they change rows by requests.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        yield make_scenario()
        transaction.set_rollback(True)


@pytest.fixture
def scenario(shared_scenario, db) -> Scenario:
    return shared_scenario


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (raw SQL: the ORM would cost more than the requests)."""
    tables = {}
    with connection.cursor() as cursor:
        for table in SNAPSHOT_TABLES:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            tables[table] = sorted(cursor.fetchall(), key=repr)
    return tables


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# --- making the request -------------------------------------------------------------------------

CSRF_SECRET = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)


@cache
def shared_handler(api: bool) -> ClientHandler:
    """One handler (the full middleware stack) per kind of client for the whole module.

    Every new test client builds its own, and whitenoise scans all static files when it starts: a
    tenth of a second or more a client, most of this module's run time otherwise.
    """
    return ForceAuthClientHandler(enforce_csrf_checks=False) if api else ClientHandler(enforce_csrf_checks=True)


def page_client(user: User | None) -> Client:
    """A browser: CSRF checks on, the CSRF cookie set (as any page of the site sets it)."""
    client = Client(enforce_csrf_checks=True)
    client.handler = shared_handler(api=False)
    if user is not None:
        sign_in(client, user)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    client.handler = shared_handler(api=True)
    if user is not None:
        User.objects.filter(pk=user.pk).update(last_seen=timezone.now())
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def client_for(route: Route, user: User | None):
    return api_client(user) if route.is_api else page_client(user)


def send(client, route: Route, method: str, url: str, data: dict):
    """One request, as the API client or a browser sends it."""
    if route.is_api:
        return getattr(client, method.lower())(url, data, format="json")
    # The CSRF token goes in the header, which works for every method (Django reads form fields for POST only).
    body = urlencode(data, doseq=True)
    content_type = "application/x-www-form-urlencoded"
    return client.generic(method, url, body, content_type=content_type, headers={"X-CSRFToken": CSRF_SECRET})


def send_and_check(client, route: Route, method: str, url: str, data: dict, outcome: Outcome, who: str) -> None:
    """Send the request; assert the outcome and, if it must change nothing, that nothing changed."""
    assert resolve(url.split("?")[0]).route == route.route, f"{url} does not reach {route.key}"
    before = snapshot()
    response = send(client, route, method, url, data)
    where = f"{method} {url} as {who}: expected {outcome}"
    assert response.status_code in outcome.statuses, f"{where}, got {response.status_code}"
    location = response.get("Location", "")
    if outcome.location:
        assert location.startswith(outcome.location), f"{where}, redirected to {location!r}"
    if outcome.not_location:
        assert not location.startswith(outcome.not_location), f"{where}, redirected to {location!r}"
    if outcome.unchanged:
        changed = changed_tables(before, snapshot())
        assert not changed, f"{where}, but it changed {changed}"


def admin_url(key: str, s: Scenario) -> str:
    """A real URL of an admin route: its model's row, the accounts app, an unknown page for the catch-all."""
    row = s.admin_rows.get("/".join(key.split("/")[1:3]), s.owner)
    history = getattr(type(row), "history", None)  # django-simple-history's pages: /<object id>/history/<record>/
    # The record's own pk is history_id; the row's id is a plain field of it.
    record = history.filter(id=row.pk).latest().history_id if history else None
    values = {
        "object_id": row.pk,
        "id": row.pk,  # accounts/user/<id>/password/
        "content_type_id": ContentType.objects.get_for_model(User).pk,
        "app_label": "accounts",
        "url": "no-such-page/",
    }
    unnamed = iter([row.pk, record])  # <_>: a regex group without a name

    def fill(match) -> str:
        name = match.group(1)
        return str(next(unnamed) if name == "_" else values[name])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, key)


# --- the tests ----------------------------------------------------------------------------------


def _cases() -> list:
    params = []
    for key, method in TABLE:
        for role in ROLES:
            bug = KNOWN_BUGS.get((key, method, role))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            params.append(pytest.param(key, method, role, id=f"/{key} {method} {role}", marks=marks))
    return params


def test_every_unsafe_route_has_an_entry_and_every_entry_a_route():
    routes, entries = set(PAIRS), set(TABLE)
    missing = "\n".join(f"  ({key!r}, {method!r})" for key, method in sorted(routes - entries))
    stale = "\n".join(f"  ({key!r}, {method!r})" for key, method in sorted(entries - routes))
    assert not missing, f"Unsafe routes without an entry in TABLE (tests/authz_matrix.py):\n{missing}"
    assert not stale, f"TABLE entries for routes or methods the URLconf does not have:\n{stale}"
    assert {key for key, _ in PAIRS} == set(REQUESTS), "REQUESTS needs one Call for each route of TABLE"


@pytest.mark.parametrize(("key", "method", "role"), _cases())
def test_route_answers_each_role_as_the_table_says(scenario, key, method, role):
    route = PAIRS.get((key, method))
    assert route is not None, f"{method} {key} is in TABLE but not in the URLconf"
    client = client_for(route, scenario.actor(role))  # first: signing in changes the owner's reset token
    call = REQUESTS[key]
    data = call.data(scenario, scenario.actor(role) or scenario.owner) if callable(call.data) else call.data
    send_and_check(client, route, method, call.url.format(s=scenario), data, getattr(TABLE[key, method], role), role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(ADMIN_ROUTES), ids=lambda key: f"/{key}")
def test_admin_route_lets_only_staff_past_its_gate(scenario, key, role):
    """The admin as a whole (its gate does not look at the method): every method for those it turns away,
    POST for staff, who then meet its own model permissions (tests/test_admin.py).
    """
    route = ADMIN_ROUTES[key]
    client = client_for(route, scenario.actor(role))
    url = admin_url(key, scenario)
    for method in ["POST"] if role == "staff" else sorted(route.methods):
        outcome = getattr(admin_expect(key, method), role)
        send_and_check(client, route, method, url, ADMIN_DATA, outcome, role)


NOT_ACCEPTED = {route.key: route for route in unsafe_routes() if not route.is_admin and set(UNSAFE) - route.methods}
# Views that decide before they look at the method: who probes them, and what they answer instead of 405.
PROBES = {
    "accounts/login/": ("anonymous", 405),  # signed in, the sign-in page redirects away whatever the method
    "accounts/reset/<uidb64>/<token>/": ("staff", 200),  # the link is checked first: a bad one gets its page
}


@pytest.mark.parametrize("key", sorted(NOT_ACCEPTED), ids=lambda key: f"/{key}")
def test_methods_outside_the_table_are_not_allowed(scenario, key):
    """What reading the URLconf says a view refuses, it refuses (405) even to staff: the table misses nothing."""
    route = NOT_ACCEPTED[key]
    role, status = PROBES.get(key, ("staff", 405))
    client = client_for(route, scenario.actor(role))
    url = "/" + re.sub(r"<[^>]+>", "1", key)  # the method is checked before any lookup: any id will do
    for method in sorted(set(UNSAFE) - route.methods):
        send_and_check(client, route, method, url, {}, noop(status), role)


ROUTES = {route.key: route for route in unsafe_routes()}


@pytest.mark.parametrize(
    "key",
    [
        "accounts/login/",
        "api/auth/token/",
        "api-auth/login/",
        "admin/login/",
    ],
    ids=lambda key: f"/{key}",
)
def test_every_sign_in_route_stops_guessing_after_the_failure_limit(scenario, key):
    """SIGNIN_FAILURE_LIMIT wrong passwords for one person, then the right one: refused on every sign-in route."""
    route, url = ROUTES[key], f"/{key}"
    client = client_for(route, None)
    wrong = {"username": scenario.staff.username, "password": "not the password"}
    for _ in range(settings.SIGNIN_FAILURE_LIMIT):
        send(client, route, "POST", url, wrong)
    response = send(client, route, "POST", url, wrong | {"password": PASSWORD})
    if route.is_api:
        assert response.status_code == 429
    else:
        assert "_auth_user_id" not in client.session, (
            f"signed in at {url} after {settings.SIGNIN_FAILURE_LIMIT} failures"
        )


def test_staff_cannot_change_the_email_of_a_superuser_through_the_api(scenario):
    """A new email is an account: a password reset then goes there. Staff are not superusers."""
    superuser = UserFactory(is_staff=True, is_superuser=True)
    response = api_client(scenario.staff).patch(
        f"/api/users/{superuser.pk}/", {"email": "staff-owned@example.org"}, format="json"
    )
    assert response.status_code == 403
    assert User.objects.get(pk=superuser.pk).email == superuser.email
