import datetime
import json
import os
import re
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils import timezone
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import UserFactory

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every test that wrote to the database, by whatever path (pages, API, admin, commands, imports):
    the counter of posts holds the number of posts (posts.counting). Checked before the test's transaction
    rolls back; `@pytest.mark.posts_uncounted` marks the tests that write posts behind the counter on purpose.
    """
    result = yield
    uses_database = item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(item.fixturenames)
    if uses_database and not item.get_closest_marker("posts_uncounted"):
        from django.db import connection

        from posts.counting import post_total
        from posts.models import Post

        if connection.closed_in_transaction or connection.needs_rollback:
            return result  # the test ended its transaction's usefulness itself (a response closed by hand, say)
        total, rows = post_total(), Post.objects.count()
        assert total == rows, f"the counter of posts says {total}, the table has {rows} (posts.counting)"
    return result


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests only need a hash that verifies."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache_folder(tmp_path_factory):
    """The suite's own shared file cache (not the one a development server in this folder uses); processes
    the tests start (gunicorn, commands) share it through CACHE_DIR."""
    folder = tmp_path_factory.mktemp("cache")
    caches_setting = {
        "default": {**settings.CACHES["default"], "LOCATION": str(folder)},
        "state": {**settings.CACHES["state"], "LOCATION": str(folder / "state")},
        "counters": {**settings.CACHES["counters"], "LOCATION": str(folder / "counters")},
    }
    previous = os.environ.get("CACHE_DIR")
    os.environ["CACHE_DIR"] = str(folder)
    with override_settings(CACHES=caches_setting):
        yield folder
    if previous is None:
        del os.environ["CACHE_DIR"]
    else:
        os.environ["CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles, lockouts and cached reads live in the caches, the database rolls back: each test starts empty."""
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser, seen just now: the once-a-minute last_seen write stays out of query counts."""
    return django_user_model.objects.create_superuser(
        username="admin", email="admin@example.com", password="password", last_seen=timezone.now()
    )


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    """An anonymous API client (JSON by default)."""
    return APIClient()


@pytest.fixture
def redis_at():
    """redis_at(url) → a client of the Redis at `url`, emptied before and after the test; the test is skipped
    where none answers, except in CI (CI or REQUIRE_REDIS set), where that is an error."""
    servers = []

    def connect(url: str):
        redis = pytest.importorskip("redis")
        server = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        try:
            server.ping()
        except redis.RedisError as exc:
            if os.environ.get("CI") or os.environ.get("REQUIRE_REDIS"):
                raise
            pytest.skip(f"Redis is not reachable at {url}: {exc}")
        server.flushdb()
        servers.append(server)
        return server

    yield connect
    for server in servers:
        server.flushdb()


REDIS_CACHE_URL = os.environ.get("TEST_REDIS_CACHE_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture
def redis_caches(redis_at):
    """The caches as `CACHE_URL=redis://…` sets them (core.cache_backends.RedisCache for all three) on a Redis
    database of the tests' own, emptied: yields a client of that database."""
    server = redis_at(REDIS_CACHE_URL)
    shared = {"BACKEND": "core.cache_backends.RedisCache", "LOCATION": REDIS_CACHE_URL}
    with override_settings(CACHES={"default": shared, "state": shared, "counters": shared}):
        yield server


@pytest.fixture
def client_for(db):
    """client_for(user) → an API client authenticated with that user's token."""
    from rest_framework.authtoken.models import Token

    def make(user):
        # Seen just now: the once-a-minute last_seen write stays out of query counts.
        User.objects.filter(pk=user.pk).update(last_seen=timezone.now())
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


# --- the API's contract: every response of the suite validates against the served schema (issue #20) ----------

# The formats the schema uses, checked as OpenAPI 3.0 says (openapi-schema-validator checks the numeric ones only).
FORMATS = FormatChecker()
for _name, (_check, _raises) in oas30_format_checker.checkers.items():
    FORMATS.checks(_name, _raises)(_check)


@FORMATS.checks("date-time", ValueError)
def _is_date_time(value) -> bool:
    return not isinstance(value, str) or datetime.datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uuid", ValueError)
def _is_uuid(value) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


@FORMATS.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or "@" in value


@FORMATS.checks("uri", ValueError)
def _is_uri(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is None or (parts.scheme in ("http", "https") and bool(parts.netloc))


# /api/ paths that are no operation: the browsable index (with its format suffix) and the schema with its docs.
NOT_OPERATIONS = re.compile(r"/api/(?:\.\w+/?)?|/api/(?:schema|docs|redoc)/.*")
# What any path or method the schema does not list may answer (an unknown path is a 404, a method a 405).
UNDOCUMENTED_ANSWERS = {"400", "401", "403", "404", "405", "406", "429", "503"}


def served_schema() -> dict:
    """/api/schema/ as served in JSON (built as its view builds it, without a request to count in the throttles)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


class ApiContract:
    """The served OpenAPI schema as a judge of responses: violations(...) lists how one breaks it."""

    def __init__(self, document: dict):
        self.document = document
        # $refs resolve against the whole document; OpenAPI 3.0's nullable; a response ignores writeOnly.
        self.validator = OAS30ReadValidator(document, format_checker=FORMATS)
        # Literal paths first (/api/users/me/ before /api/users/{id}/); DRF's format suffix (.json) allowed.
        self.paths = [
            (re.compile(self._pattern(template)), template)
            for template in sorted(document["paths"], key=lambda template: template.count("{"))
        ]
        self.undocumented = {
            code: {
                "description": "",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
            }
            for code in UNDOCUMENTED_ANSWERS
            for body in ["ValidationError" if code == "400" else "Error"]
        }

    @staticmethod
    def _pattern(template: str) -> str:
        pattern = re.sub(r"\\{\w+\\}", "[^/.]+", re.escape(template.rstrip("/")))
        return pattern + (r"(?:/|\.[a-z0-9]+/?)" if template.endswith("/") else "")

    def template(self, path: str) -> str | None:
        return next((template for pattern, template in self.paths if pattern.fullmatch(path)), None)

    def violations(
        self, method: str, path: str, status: int, content_type: str, body: bytes | None, *, browsable: bool = False
    ) -> list[str]:
        """How this answer breaks the schema ([] if it does not). `body` None: not read (a stream).

        `browsable`: the request asked for the browsable API (HTML), whose pages the schema does not describe.
        """
        method, code = method.lower(), str(status)
        if NOT_OPERATIONS.fullmatch(path) or status == 500:  # 500: a bug, Django's page, never part of the contract
            return []
        template = self.template(path)
        operation = self.document["paths"].get(template, {}).get("get" if method == "head" else method)
        responses = operation["responses"] if operation else self.undocumented
        where = f"{template or 'no path of the schema'} {method}" + ("" if operation else " (not in the schema)")
        documented = responses.get(code)
        if documented is None:
            return [f"status {code} is not documented for {where} (documented: {', '.join(sorted(responses))})"]
        if method == "head":
            return []  # no body
        media_type = content_type.split(";")[0].strip().lower()
        content = documented.get("content")
        if not content:
            return [] if not body else [f"{where} → {code} documents no body, but one came ({media_type})"]
        if media_type == "text/html" and browsable:
            return []
        if media_type not in content:
            return [f"{where} → {code} documents {', '.join(content)}, not {media_type!r}"]
        if media_type != "application/json" or body is None:
            return []  # documented as what it is (the export's ZIP, a stream): no schema to hold it to
        try:
            data = json.loads(body)
        except ValueError:
            return [f"{where} → {code} is documented as JSON, but the body is not JSON"]
        schema = content[media_type]["schema"]
        errors = sorted(self.validator.evolve(schema=schema).iter_errors(data), key=lambda e: list(e.absolute_path))
        return [
            f"{where} → {code}: at {'/'.join(map(str, error.absolute_path)) or 'the top'}: {error.message}"
            for error in errors
        ]

    def check_response(self, response) -> list[str]:
        """violations() for a response of Django's test client (which keeps its request)."""
        request = response.wsgi_request
        if not request.path_info.startswith("/api/"):
            return []
        browsable = "text/html" in request.META.get("HTTP_ACCEPT", "") or request.GET.get("format") == "api"
        body = None if response.streaming else response.content
        return self.violations(
            request.method,
            request.path_info,
            response.status_code,
            response.get("Content-Type", ""),
            body,
            browsable=browsable,
        )


def describe_violations(response, violations: list[str]) -> str:
    request = response.wsgi_request
    body = "(a stream)" if response.streaming else response.content[:2000].decode(errors="replace")
    return (
        f"{request.method} {request.get_full_path()} → {response.status_code} breaks the API schema (/api/schema/):\n"
        + "\n".join(f"  - {violation}" for violation in violations)
        + f"\n  body: {body}"
    )


_contract: list[ApiContract] = []  # built once per session (by the session fixture below)
_contract_lock = threading.Lock()
_violations_in_threads: list[str] = []


def api_contract() -> ApiContract:
    with _contract_lock:
        if not _contract:
            _contract.append(ApiContract(served_schema()))
        return _contract[0]


@pytest.fixture(name="api_contract", scope="session")
def api_contract_fixture() -> ApiContract:
    """The served schema as a judge of responses (tests/api/test_generated_client.py checks a live server's)."""
    return api_contract()


@pytest.fixture(autouse=True, scope="session")
def _api_responses_follow_the_schema():
    """Every response to an /api/ path that a test client (Django's or DRF's APIClient) gets is checked against
    the operation's documented answer for its status and content type: a schema drift fails the test.

    In the test's own thread the request fails at once; in other threads (concurrency tests) the failure is
    kept for the end of the test.
    """
    api_contract()  # the schema, built once for the session (no database needed: 1 s)
    request = Client.request

    def checked_request(self, **kwargs):
        response = request(self, **kwargs)
        violations = api_contract().check_response(response)
        if violations:
            message = describe_violations(response, violations)
            if threading.current_thread() is threading.main_thread():
                pytest.fail(message, pytrace=False)
            _violations_in_threads.append(message)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", checked_request)
        yield


@pytest.fixture(autouse=True)
def _api_responses_in_threads_follow_the_schema():
    _violations_in_threads.clear()
    yield
    found, _violations_in_threads[:] = list(_violations_in_threads), []
    if found:
        pytest.fail("\n\n".join(found), pytrace=False)
