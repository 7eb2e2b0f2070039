"""The OpenAPI schema, the docs pages, the API root and unknown /api/ paths."""

import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ORG = ("departments", "units", "cadres", "designations")
CRUD = {"get", "put", "patch", "delete"}
PATHS = {
    "/api/auth/token/": {"post", "delete"},
    "/api/users/": {"get", "post"},
    "/api/users/{id}/": {"get", "patch"},
    "/api/users/{id}/follow/": {"post", "delete"},
    "/api/users/{id}/followers/": {"get"},
    "/api/users/{id}/following/": {"get"},
    "/api/users/me/": {"get"},
    "/api/users/me/export/": {"post"},
    "/api/tasks/{id}/": {"get"},
    "/api/tasks/{id}/download/": {"get"},
    "/api/posts/": {"get", "post"},
    "/api/posts/{id}/": {"get", "patch", "delete"},
    "/api/feed/": {"get"},
    **{f"/api/{name}/": {"get", "post"} for name in ORG},
    **{f"/api/{name}/{{id}}/": CRUD for name in ORG},
}
USER_FILTERS = {"username", "department", "unit", "designation", "search"}
LIST_FILTERS = {
    "/api/users/": USER_FILTERS,
    "/api/users/{id}/followers/": USER_FILTERS,
    "/api/users/{id}/following/": USER_FILTERS,
    "/api/posts/": {"author", "author__username", "since", "until", "search"},
    "/api/feed/": set(),
    "/api/departments/": {"kind", "search"},
    "/api/units/": {"department", "search"},
    "/api/cadres/": {"search"},
    "/api/designations/": {"cadre", "search"},
}
BLOCKABLE_DELETES = {("/api/cadres/{id}/", "delete"), ("/api/designations/{id}/", "delete")}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_is_served_as_valid_openapi_3_in_yaml_and_json(api_client, schema):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    served = yaml.safe_load(response.content)
    assert served["openapi"].startswith("3.")
    assert served == schema
    validate(served)


def test_spectacular_command_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    validate(yaml.safe_load(target.read_text()))


def test_schema_lists_every_endpoint_with_its_methods(schema):
    assert {path: set(item) & {"get", "post", "put", "patch", "delete"} for path, item in schema["paths"].items()} == (
        PATHS
    )


@pytest.mark.parametrize("path", LIST_FILTERS)
def test_list_operation_documents_pagination_and_its_filters(schema, path):
    operation = schema["paths"][path]["get"]
    query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert query == {"page", "page_size", *LIST_FILTERS[path]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"count", "next", "previous", "results"}


def expected_errors(path, method, operation):
    codes = {"401", "429"}
    if "{id}" in path:
        codes.add("404")
    if "requestBody" in operation or (method == "get" and LIST_FILTERS.get(path)):
        codes.add("400")
    staff_or_owner_only = path.startswith(tuple(f"/api/{name}/" for name in ORG)) or path in (
        "/api/posts/{id}/",
        "/api/users/{id}/",
    )
    if staff_or_owner_only and method != "get":
        codes.add("403")
    if (path, method) in BLOCKABLE_DELETES:
        codes.add("409")
    return codes


def test_every_operation_documents_the_errors_it_can_answer(schema):
    missing = {
        (path, method): sorted(expected_errors(path, method, op) - set(op["responses"]))
        for path, method, op in operations(schema)
    }
    assert {key: codes for key, codes in missing.items() if codes} == {}


def test_409_is_documented_on_every_write_and_says_blocked_by_on_blockable_deletes(schema):
    writes = {(path, method) for path, method, op in operations(schema) if method in ("post", "put", "patch", "delete")}
    assert {(path, method) for path, method, op in operations(schema) if "409" in op["responses"]} == writes
    for path, method in BLOCKABLE_DELETES:
        assert "blocked_by" in schema["paths"][path][method]["responses"]["409"]["description"]


def test_409_documents_its_body_shape(schema):
    for path, method in BLOCKABLE_DELETES:
        ref = schema["paths"][path][method]["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert set(body["properties"]) == {"detail", "blocked_by"}
        assert body["properties"]["blocked_by"]["additionalProperties"]["items"]["type"] == "integer"


def test_department_delete_says_its_units_go_with_it(schema):
    description = schema["paths"]["/api/departments/{id}/"]["delete"]["description"]
    assert re.search(r"\bunits\b", description)
    assert "cascade" in description


def test_token_authentication_is_documented(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    assert {"tokenAuth": []} in schema["paths"]["/api/feed/"]["get"]["security"]


EXTERNAL = re.compile(r"(?:https?:)?//[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


@pytest.mark.parametrize(
    ("page", "asset"),
    [
        ("/api/docs/", "swagger-ui-dist/swagger-ui-bundle.js"),
        pytest.param(
            "/api/redoc/",
            "redoc/bundles/redoc.standalone.js",
        ),
    ],
)
def test_docs_page_uses_local_assets_only(api_client, page, asset):
    response = api_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/static/drf_spectacular_sidecar/{asset}"' in html
    assert "/api/schema/" in html
    # As a word or a host name: the page's random CSRF token may well contain the letters "cdn".
    assert not re.search(r"\bcdn\b|cdn\.|jsdelivr|unpkg", html, re.IGNORECASE)
    assert EXTERNAL.findall(html) == []


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_assets_referenced_by_the_docs_pages_are_served(api_client, settings, page):
    # Tests run with DEBUG=False and no collectstatic: let WhiteNoise use the finders, as it does under DEBUG.
    settings.WHITENOISE_USE_FINDERS = True
    html = api_client.get(page).content.decode()
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert finders.find(asset), asset
        response = APIClient().get(f"/static/{asset}")
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content if response.streaming else [response.content])
        response.close()


def test_api_root_is_open_json_listing_the_resources(api_client):
    response = api_client.get("/api/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert {"users", "posts", *ORG} <= set(response.json())


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/nothing/", "/api/nothing", "/api/posts/1/nothing/"])
def test_unknown_api_path_is_a_404_in_json(api_client, method, path):
    response = getattr(api_client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_api_root_lists_every_endpoint(api_client):
    index = api_client.get("/api/").json()
    assert set(index) == {"users", "posts", "departments", "units", "cadres", "designations", "feed", "auth/token"}
    assert index["feed"].endswith("/api/feed/")
