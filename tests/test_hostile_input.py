"""Input no route can take is a 4xx on every route, never a 500: a NUL character anywhere in a request,
JSON nested deeper than the parser goes. Tested across the whole URLconf, as the authorization matrix is."""

import re

import pytest
from django.test import Client

from tests.authz_matrix import REQUESTS, unsafe_routes
from tests.test_authorization_matrix import (  # noqa: F401  (fixtures)
    PAIRS,
    api_client,
    scenario,
    shared_handler,
    shared_scenario,
)

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
DEEP_JSON = "[" * 5000 + "]" * 5000  # far deeper than Python's parser goes (about 1,000 levels)
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _sample_path(route: str, value: str) -> str:
    """A path of `route` with every parameter set to `value` (regex routes: their groups)."""
    path = PARAMETER.sub(value, route.removeprefix("^").removesuffix("$"))
    path = re.sub(r"\(\?:[^)]*\)\??|[\\^$?*+]", "", path)
    return "/" + path


ROUTES = sorted({route.route for route in unsafe_routes()})


def _client() -> Client:
    """A browser without CSRF checks, on the matrix's shared handler (a new one scans every static file)."""
    client = Client()
    client.handler = shared_handler(api=True)  # the handler without CSRF enforcement
    return client


@pytest.mark.parametrize("route", ROUTES)
def test_a_nul_in_the_query_string_is_a_400_on_every_route(route):
    response = _client().get(_sample_path(route, "1"), {"q": NUL, "page": NUL})
    assert response.status_code == 400


@pytest.mark.parametrize("route", [r for r in ROUTES if PARAMETER.search(r)])
def test_a_nul_in_a_path_parameter_is_a_400_or_a_404_on_every_route(route):
    response = _client().get(_sample_path(route, "a%00b"))
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("where", ["cookie", "session cookie", "header"])
def test_a_nul_in_a_cookie_or_a_header_is_a_400_on_every_route(route, where):
    client = _client()
    headers = {}
    if where == "header":
        headers["HTTP_X_ANYTHING"] = NUL
    else:
        client.cookies["sessionid" if where == "session cookie" else "theme"] = NUL
    assert client.get(_sample_path(route, "1"), **headers).status_code == 400


@pytest.mark.parametrize(("key", "method"), sorted(k for k in PAIRS if k[1] == "POST" and not PAIRS[k].is_api))
def test_a_nul_in_a_form_field_is_a_400_on_every_page_that_takes_a_form(scenario, key, method):  # noqa: F811
    client = _client()
    client.force_login(scenario.owner)
    url = REQUESTS[key].url.format(s=scenario)
    assert client.post(url, {"body": NUL, "username": NUL, "q": NUL}).status_code == 400


API_WRITES = sorted(k for k, route in PAIRS.items() if route.is_api and k[1] in ("POST", "PUT", "PATCH"))


@pytest.mark.parametrize(("key", "method"), API_WRITES)
@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_json_nested_too_deeply_is_a_400_on_every_api_write(scenario, key, method, role):  # noqa: F811
    client = api_client(scenario.actor(role))
    url = REQUESTS[key].url.format(s=scenario)
    response = client.generic(method, url, DEEP_JSON, content_type="application/json")
    assert response.status_code < 500, response.content[:300]
    if role == "staff" and REQUESTS[key].data:  # a route that reads its body: the body is refused
        assert response.status_code == 400
        assert "detail" in response.json()


def test_a_multipart_body_without_a_boundary_is_a_4xx_and_no_traceback(caplog):
    client = _client()
    api = client.generic("POST", "/api/auth/token/", b"x", content_type="multipart/form-data")
    assert api.status_code == 415  # the API takes JSON only
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.django_db
def test_a_nul_is_refused_in_the_language_the_request_asks_for(client):
    """The refusal comes before LocaleMiddleware: it must not speak the language of the thread's last request."""
    assert client.get("/api/posts/", HTTP_ACCEPT_LANGUAGE="hi").status_code == 200  # leaves Hindi active
    english = client.get("/api/posts/", {"search": "a\x00b"})
    assert english.json() == {"non_field_errors": ["Null characters are not allowed."]}
    hindi = client.get("/api/posts/", {"search": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="hi")
    assert hindi.json() == {"non_field_errors": ["नल (NUL) अक्षर मान्य नहीं हैं।"]}
