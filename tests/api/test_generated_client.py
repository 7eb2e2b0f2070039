"""A client generated from the live /api/schema/ works as generated (issue #20).

openapi-python-client (pinned in requirements-dev.txt) generates a client from the schema a live server serves,
offline, once per session; every module of it must import as generated. Through it: the README's curl
walk-through, the organization's 409, a paged and filtered list, an export and its download. Every raw answer
the client gets is also held to the schema (tests/conftest.py's ApiContract), and an undocumented status
raises (raise_on_unexpected_status).
"""

import datetime
import importlib
import pkgutil
import subprocess
import sys
from http import HTTPStatus

import httpx
import pytest

from tests.factories import PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's rows

PACKAGE = "microblog_api_client"
# No post hooks (they run ruff over the code: style only); the export's ZIP is a file to the generator
# (it knows application/octet-stream, not application/zip).
CONFIG = "post_hooks: []\ncontent_type_overrides:\n  application/zip: application/octet-stream\n"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="session")
def _generated() -> dict:
    """The generated packages of this session, by the schema they come from (one, unless it changes)."""
    return {}


@pytest.fixture
def server(live_server):
    """(base URL, headers) of pytest-django's live server.

    If browser tests ran first in this session, their gate (tests/browser/conftest.py) wraps the server's
    application: open it for this test, as a browser test does.
    """
    app = live_server.thread.httpd.get_app()
    if hasattr(app, "open_for_one_test"):
        with app.open_for_one_test() as token:
            yield live_server.url, {app.HEADER: token}
    else:
        yield live_server.url, {}


def generate(schema: str, folder) -> None:
    (folder / "schema.json").write_text(schema)
    (folder / "config.yaml").write_text(CONFIG)
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(folder / "schema.json")]
    command += ["--meta", "none", "--output-path", str(folder / PACKAGE), "--config", str(folder / "config.yaml")]
    result = subprocess.run([*command, "--fail-on-warning"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def api(server, _generated, tmp_path_factory):
    """The client package generated from the live server's /api/schema/, every module of it imported."""
    url, headers = server
    schema = httpx.get(f"{url}/api/schema/", params={"format": "json"}, headers=headers).raise_for_status().text
    if schema not in _generated:
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]  # another schema's client (the schema changed during the session)
        folder = tmp_path_factory.mktemp("generated-client")
        generate(schema, folder)
        sys.path.insert(0, str(folder))
        try:
            importlib.invalidate_caches()
            package = importlib.import_module(PACKAGE)
            # Every operation's module imports as generated (openapi-python-client 0.29.1 left `Unset`
            # unimported in the operations whose body had several media types).
            for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
                importlib.import_module(module.name)
        finally:
            sys.path.remove(str(folder))
        _generated[schema] = package
    return _generated[schema]


@pytest.fixture
def clients(api, server, api_contract):
    """clients(token=None) → the generated client (signed in with the token), checking every answer it gets."""
    url, headers = server
    broken: list[str] = []

    def check(response: httpx.Response) -> None:
        response.read()
        request = response.request
        content_type = response.headers.get("Content-Type", "")
        for violation in api_contract.violations(
            request.method, request.url.path, response.status_code, content_type, response.content
        ):
            broken.append(f"{request.method} {request.url} → {response.status_code}: {violation}")

    def make(token: str | None = None):
        options = {
            "base_url": url,
            "headers": headers,
            "raise_on_unexpected_status": True,
            "httpx_args": {"event_hooks": {"response": [check]}},
        }
        if token is None:
            return api.Client(**options)
        return api.AuthenticatedClient(**options, token=token, prefix="Token")

    yield make
    assert broken == [], "answers that break the schema:\n" + "\n".join(broken)


def sign_in(clients, username: str, password: str = PASSWORD):
    from microblog_api_client.api.auth import auth_token_create
    from microblog_api_client.models import CredentialsRequest

    token = auth_token_create.sync(client=clients(), body=CredentialsRequest(username=username, password=password))
    return clients(token.token)


def test_the_readme_walk_through(clients):
    from microblog_api_client.api.auth import auth_token_create, auth_token_destroy
    from microblog_api_client.api.feed import feed_list
    from microblog_api_client.api.posts import posts_create
    from microblog_api_client.api.users import users_create, users_follow_create, users_list, users_me_retrieve
    from microblog_api_client.models import (
        CredentialsRequest,
        Error,
        PostRequest,
        Token,
        User,
        UserRegisterRequest,
        ValidationError,
    )

    asha = UserFactory(username="asha")
    PostFactory(author=asha, body="Hello from Asha")
    anonymous = clients()

    registered = users_create.sync_detailed(
        client=anonymous,
        body=UserRegisterRequest(username="dana", email="dana@example.org", password="a long passphrase 42"),
    )
    assert registered.status_code == HTTPStatus.CREATED
    dana = registered.parsed
    assert isinstance(dana, User)
    assert (dana.username, dana.email, dana.email2) == ("dana", "dana@example.org", "")  # she sees her own

    wrong = auth_token_create.sync_detailed(client=anonymous, body=CredentialsRequest(username="dana", password="no"))
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert isinstance(wrong.parsed, ValidationError)
    assert wrong.parsed.non_field_errors

    token = auth_token_create.sync(
        client=anonymous, body=CredentialsRequest(username="dana", password="a long passphrase 42")
    )
    assert isinstance(token, Token)
    signed_in = clients(token.token)

    post = posts_create.sync(client=signed_in, body=PostRequest(body="Hello from the API"))
    assert (post.body, post.author.username) == ("Hello from the API", "dana")

    found = users_list.sync(client=anonymous, username="asha")
    assert [person.username for person in found.results] == ["asha"]
    assert found.results[0].email is None and found.results[0].email2 is None  # private to her and staff
    asha_id = found.results[0].id

    followed = users_follow_create.sync_detailed(asha_id, client=signed_in)
    assert followed.status_code == HTTPStatus.CREATED
    assert followed.parsed.follower_count == 1
    assert users_follow_create.sync_detailed(asha_id, client=signed_in).status_code == HTTPStatus.OK  # already
    yourself = users_follow_create.sync_detailed(dana.id, client=signed_in)
    assert yourself.status_code == HTTPStatus.BAD_REQUEST
    assert isinstance(yourself.parsed, ValidationError)

    feed = feed_list.sync(client=signed_in)
    assert [p.body for p in feed.results] == ["Hello from the API", "Hello from Asha"]
    assert (feed.count, feed.next_, feed.previous) == (2, None, None)

    revoked = auth_token_destroy.sync_detailed(client=signed_in)
    assert revoked.status_code == HTTPStatus.NO_CONTENT
    signed_out = users_me_retrieve.sync_detailed(client=signed_in)
    assert signed_out.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(signed_out.parsed, Error)


def test_organization_writes_and_the_409_of_a_blocked_delete(clients):
    from microblog_api_client.api.cadres import cadres_create, cadres_destroy
    from microblog_api_client.api.departments import departments_create, departments_partial_update
    from microblog_api_client.api.designations import designations_create, designations_destroy
    from microblog_api_client.models import (
        Blocked,
        CadreRequest,
        DepartmentRequest,
        DesignationRequest,
        KindEnum,
        PatchedDepartmentRequest,
    )

    staff = StaffFactory(username="sam")
    client = sign_in(clients, "sam")

    cadre = cadres_create.sync(client=client, body=CadreRequest(name="Faculty"))
    designation = designations_create.sync(
        client=client, body=DesignationRequest(name="Professor", abbr="Prof.", cadre=cadre.id)
    )
    assert (designation.cadre.id, designation.cadre.name) == (cadre.id, "Faculty")

    blocked = cadres_destroy.sync_detailed(cadre.id, client=client)
    assert blocked.status_code == HTTPStatus.CONFLICT
    assert isinstance(blocked.parsed, Blocked)
    assert blocked.parsed.blocked_by.additional_properties == {"designation": [designation.id]}

    assert designations_destroy.sync_detailed(designation.id, client=client).status_code == HTTPStatus.NO_CONTENT
    assert cadres_destroy.sync_detailed(cadre.id, client=client).status_code == HTTPStatus.NO_CONTENT

    department = departments_create.sync(
        client=client, body=DepartmentRequest(name="Surgery", kind=KindEnum.CENTER, heads=[staff.pk])
    )
    assert (department.kind, department.abbr, department.units) == (KindEnum.CENTER, "", [])
    assert [(head.id, head.username) for head in department.heads] == [(staff.pk, "sam")]
    # A JSON body says "no heads": the multipart one the client used to send could not (issue #20).
    emptied = departments_partial_update.sync(department.id, client=client, body=PatchedDepartmentRequest(heads=[]))
    assert emptied.heads == []


def test_a_paged_and_filtered_list(clients):
    from microblog_api_client.api.posts import posts_list

    asha, other = UserFactory(username="asha"), UserFactory()
    PostFactory.create_batch(5, author=asha)
    PostFactory.create_batch(2, author=other)
    anonymous = clients()

    page = posts_list.sync(client=anonymous, author=asha.pk, page=2, page_size=2)
    assert (page.count, len(page.results)) == (5, 2)
    assert page.next_ is not None and page.previous is not None
    assert {post.author.username for post in page.results} == {"asha"}
    last = posts_list.sync(client=anonymous, author_username="ASHA", page=3, page_size=2)
    assert (len(last.results), last.next_) == (1, None)
    since = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    assert posts_list.sync(client=anonymous, since=since).count == 0

    malformed = posts_list.sync_detailed(client=anonymous, search="a\x00b")  # a NUL: 400 anywhere
    assert malformed.status_code == HTTPStatus.BAD_REQUEST


def test_an_export_and_its_download(clients, settings, tmp_path):
    from microblog_api_client.api.tasks import tasks_download_retrieve, tasks_retrieve
    from microblog_api_client.api.users import users_me_export_create
    from microblog_api_client.models import StatusEnum

    settings.TASKS = IMMEDIATE  # the export runs inside the request that starts it
    settings.MEDIA_ROOT = tmp_path
    author = UserFactory(username="asha")
    PostFactory.create_batch(3, author=author)
    client = sign_in(clients, "asha")

    started = users_me_export_create.sync_detailed(client=client)
    assert started.status_code == HTTPStatus.ACCEPTED
    export = tasks_retrieve.sync(started.parsed.id, client=client)
    assert export.status == StatusEnum.DONE
    assert export.download.endswith(f"/api/tasks/{export.id}/download/")

    download = tasks_download_retrieve.sync_detailed(export.id, client=client)
    assert download.status_code == HTTPStatus.OK
    assert download.content.startswith(b"PK")  # a ZIP
