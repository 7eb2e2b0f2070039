"""The OpenAPI schema, the docs pages, the API root and unknown /api/ paths."""

import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from tests.factories import PostFactory

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
    codes = {"400", "401", "404", "406", "429", "503"}  # 400: a NUL anywhere; 404 and 406: ?format= and Accept
    if "requestBody" in operation:
        codes.add("415")
    if method in ("post", "put", "patch", "delete"):
        codes.add("403")  # a browser session without its CSRF token
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


ERROR_BODIES = {"Error", "ValidationError", "Blocked", "ExportConflict"}


def test_every_error_status_documents_its_json_body(schema):
    undocumented = {}
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code >= "400":
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                if (
                    set(response.get("content", {})) != {"application/json"}
                    or body.get("$ref", "").rsplit("/", 1)[-1] not in ERROR_BODIES
                ):
                    undocumented[path, method, code] = response
    assert undocumented == {}


@pytest.mark.parametrize(("path", "code"), [("/api/auth/token/", "400"), ("/api/users/{id}/follow/", "400")])
def test_error_answers_declared_with_a_description_keep_it_and_get_their_body(schema, path, code):
    response = schema["paths"][path]["post"]["responses"][code]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ValidationError"}
    assert response["description"] != "Invalid input: field name (or non_field_errors) → list of messages."


def test_validation_errors_document_field_messages_and_the_detail_of_an_unreadable_body(schema):
    body = schema["components"]["schemas"]["ValidationError"]
    assert body["additionalProperties"]["items"] == {"type": "string"}
    assert body["properties"]["non_field_errors"]["items"] == {"type": "string"}
    assert body["properties"]["detail"]["type"] == "string"
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_throttled_and_unavailable_answers_document_retry_after(schema):
    for path, method, operation in operations(schema):
        for code in ("429", "503"):
            assert "Retry-After" in operation["responses"][code]["headers"], (path, method, code)


def test_request_bodies_are_json_only(schema):
    """The API parses JSON only: one media type a body, so generated clients send JSON (issue #20)."""
    media_types = {
        (path, method): set(op["requestBody"]["content"])
        for path, method, op in operations(schema)
        if "requestBody" in op
    }
    assert media_types
    assert {key: types for key, types in media_types.items() if types != {"application/json"}} == {}


def walk(node, where=""):
    """Every schema object in the document, with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def test_nullable_is_always_beside_a_type(schema):
    """OpenAPI 3.0.3: `nullable` only counts beside a `type` in the same object; beside a oneOf or a $ref
    alone it lets no null through, and validators refuse the nulls the API sends (issue #20)."""
    assert [where for where, node in walk(schema) if node.get("nullable") is True and "type" not in node] == []


def response_components(schema):
    """The components that describe answers (requests' have their own: …Request), errors included."""
    return {
        name: body
        for name, body in schema["components"]["schemas"].items()
        if body.get("type") == "object" and not name.endswith("Request") and body.get("properties")
    }


def test_every_property_of_an_answer_is_required(schema):
    """Answers always carry every field (null where it has no value): generated types must not make them
    optional (issue #20). ValidationError's keys are the fields in error, whichever they are."""
    components = response_components(schema)
    del components["ValidationError"]
    assert {"User", "Post", "Department", "Unit", "PaginatedPostList", "Error"} <= set(components)
    assert {
        name: sorted(set(body["properties"]) - set(body.get("required", [])))
        for name, body in components.items()
        if set(body["properties"]) - set(body.get("required", []))
    } == {}


@pytest.mark.parametrize("name", ["Department", "Unit"])
def test_heads_are_ids_in_and_id_username_objects_out(schema, name):
    components = schema["components"]["schemas"]
    out = components[name]["properties"]["heads"]
    assert out["items"]["properties"].keys() == {"id", "username"}
    assert "{id, username}" in out["description"]
    assert components[f"{name}Request"]["properties"]["heads"]["items"] == {"type": "integer"}


def test_other_emails_are_nullable_strings(schema):
    person = schema["components"]["schemas"]["User"]["properties"]
    for name in ("email2", "email3"):
        assert person[name]["type"] == "string"
        assert person[name]["nullable"] is True


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
    # The schema's address: in the page, or in its own script (served by the page's view, for the CSP).
    scripts = re.findall(r'<script src="(/api/(?:docs|redoc)/[^"]*)"', html)
    assert "/api/schema/" in html + "".join(APIClient().get(src).content.decode() for src in scripts)
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


def test_a_body_that_is_not_json_is_a_documented_415(api_client):
    response = api_client.generic(
        "POST", "/api/auth/token/", "username=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert set(response.json()) == {"detail"}


# --- the validation layer (tests/conftest.py): every API response of the suite is held to the schema --------


def test_validation_layer_judges_by_the_served_schema(api_contract, schema):
    assert api_contract.document == schema


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/users/me/", "/api/users/me/"),
        ("/api/users/12/", "/api/users/{id}/"),
        ("/api/users/12/follow/", "/api/users/{id}/follow/"),
        ("/api/posts.json", "/api/posts/"),
        ("/api/posts/3.json", "/api/posts/{id}/"),
        ("/api/posts/3/nothing/", None),
        ("/api/nothing/", None),
    ],
)
def test_validation_layer_finds_the_operation_of_a_path(api_contract, path, template):
    assert api_contract.template(path) == template


POST = {
    "id": 1,
    "body": "Hello",
    "timestamp": "2024-01-01T10:00:00Z",
    "author": {"id": 2, "username": "asha", "avatar": "http://testserver/static/avatar.png"},
}


def drift(api_contract, body, *, method="GET", path="/api/posts/1/", status=200, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api_contract.violations(method, path, status, content_type, raw)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        ({"timestamp": None}, "None for not nullable"),
        ({"timestamp": "yesterday"}, "is not a 'date-time'"),
        ({"author": {"id": 2, "username": "asha"}}, "'avatar' is a required property"),
        ({"id": "1"}, "is not of type 'integer'"),
    ],
)
def test_validation_layer_reports_a_body_off_its_schema(api_contract, change, expected):
    found = drift(api_contract, POST | change)
    assert found == [] if expected is None else expected in " ".join(found)


def test_validation_layer_reports_a_missing_field(api_contract):
    body = {key: value for key, value in POST.items() if key != "timestamp"}
    assert "'timestamp' is a required property" in " ".join(drift(api_contract, body))


@pytest.mark.parametrize(
    ("kwargs", "body", "expected"),
    [
        ({"status": 418}, {"detail": "x"}, "status 418 is not documented"),
        ({"status": 404}, {"detail": "Not found."}, None),
        ({"status": 404}, {"message": "Not found."}, "'detail' is a required property"),
        ({"status": 404, "path": "/api/nothing/"}, {"detail": "Not found."}, None),
        ({"status": 200, "path": "/api/nothing/"}, {}, "status 200 is not documented"),
        ({"status": 405, "method": "PUT"}, {"detail": 'Method "PUT" not allowed.'}, None),
        ({"status": 204, "method": "DELETE"}, b"", None),
        ({"status": 204, "method": "DELETE"}, {"detail": "x"}, "documents no body"),
        ({"content_type": "text/html"}, b"<html></html>", "not 'text/html'"),
        ({"path": "/api/tasks/0b9f/download/", "content_type": "application/zip"}, b"PK\x03\x04", None),
        ({"path": "/api/tasks/0b9f/download/", "content_type": "text/plain"}, b"posts", "not 'text/plain'"),
        ({"status": 400, "path": "/api/posts/", "method": "POST"}, {"body": ["This field is required."]}, None),
        ({"status": 400, "path": "/api/posts/", "method": "POST"}, {"detail": "JSON parse error"}, None),
        ({"status": 400, "path": "/api/posts/", "method": "POST"}, {"body": "required"}, "is not of type 'array'"),
        ({"status": 500}, b"<h1>Server Error (500)</h1>", None),
        ({"path": "/api/schema/", "content_type": "application/vnd.oai.openapi"}, b"openapi: 3.0.3", None),
    ],
)
def test_validation_layer_reports_an_answer_the_operation_does_not_document(api_contract, kwargs, body, expected):
    found = drift(api_contract, body, **kwargs)
    assert found == [] if expected is None else expected in " ".join(found), found


def test_validation_layer_leaves_the_browsable_api_alone(api_contract):
    html = b"<html></html>"
    assert api_contract.violations("GET", "/api/posts/", 200, "text/html; charset=utf-8", html, browsable=True) == []
    assert api_contract.violations("GET", "/api/posts/", 200, "text/html; charset=utf-8", html) != []


def test_validation_layer_checks_responses_of_the_test_clients(api_contract, api_client, monkeypatch):
    """A drift in a view fails the test that meets it, whichever test client made the request."""
    from posts.api.serializers import PostSerializer

    PostFactory()
    original = PostSerializer.to_representation
    monkeypatch.setattr(PostSerializer, "to_representation", lambda self, post: original(self, post) | {"id": "1"})
    with pytest.raises(pytest.fail.Exception, match=r"GET /api/posts/ → 200 breaks the API schema"):
        api_client.get("/api/posts/")


def test_the_browsable_api_offers_its_json_form(client, user):
    """The API takes JSON only; the browsable API's "Raw data" form sends JSON (it has no HTML form now)."""
    client.force_login(user)
    html = client.get("/api/posts/", headers={"Accept": "text/html"}).content.decode()
    assert 'id="post-generic-content-form"' in html
    select = re.search(r'<select name="_content_type".*?</select>', html, re.DOTALL).group()
    assert re.findall(r'<option value="([^"]+)"', select) == ["application/json"]
    assert 'id="post-object-form"' not in html


@pytest.mark.parametrize("path", ["/api/users/me/", "/api/feed/", "/api/posts/", "/api/tasks/{id}/download/"])
def test_an_unknown_format_or_accept_header_is_a_documented_404_or_406(client_for, user, path):
    """Any operation answers these (the validation layer checks they are documented, with their body)."""
    client = client_for(user)
    path = path.format(id="0b9f7b9e-9d7e-4c3e-8f65-0a1b2c3d4e5f")
    assert client.get(path, {"format": "xml"}).status_code == 404
    assert client.get(path, headers={"Accept": "application/xml"}).status_code == 406


def test_a_browser_session_without_its_csrf_token_is_a_documented_403_on_an_open_write(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/auth/token/", {"username": user.username, "password": "x"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
