"""User text is escaped wherever it is shown; cookies and HSTS follow the production settings; no secret in git.

Complements tests/pages/test_security.py (CSRF, and a <script> in the site's own pages) and tests/test_settings.py
(`check --deploy`):

- Escaping: a payload that opens a <script> and one that breaks out of an attribute, in a username, full name,
  about me, post, message, and department, unit, cadre and designation names, shown by the admin (changelists,
  change forms, delete confirmations, history, spreadsheet import previews), by the hover card and the
  directory pages, and by the API, which returns the text unchanged as application/json with nosniff (no
  browser renders it as HTML) and escapes it in its browsable HTML view. A page fails if the payload made an
  element or an attribute, or if it does not show the text at all.
- Cookies and HSTS: project/settings.py is evaluated with the production environment and its security
  settings applied to a real sign-in over HTTPS: the session cookie is Secure, HttpOnly and SameSite=Lax, the
  CSRF cookie Secure and SameSite=Lax; Strict-Transport-Security follows SECURE_HSTS_SECONDS (0 turns it off).
  The CSRF cookie stays readable by scripts (Django's default): nothing reads it (static/app.js never touches
  document.cookie; the forms, DRF's browsable API and Swagger UI take the token from the page) and, as Django's
  docs say, HttpOnly on it protects nothing, since a script able to read it could read the page's token.
- Repository: no `.env` (nor key, certificate or database file) among the files git tracks or would add,
  `.env` is ignored, and no file holds a private key, a cloud token, a password in a URL or a SECRET_KEY
  literal other than the development default in project/settings.py.
"""

import os
import re
import runpy
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import global_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.utils import get_random_secret_key
from django.test import Client
from django.urls import NoReverseMatch, reverse

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

ROOT = Path(__file__).resolve().parent.parent

# Two attacks in one text: leave an attribute (either quote) and open a script; then an element with a handler.
SHORT = "\"'><script>alert(1)</script>"  # fits names of 30 characters (units, cadres)
LONG = SHORT + "<b onclick=alert(2)>"  # fits 50 (a post's admin title is its first 50 characters)
USERNAME = "ev\"'><b onclick=alert(3)>il"  # no "/": it is part of URLs; a spreadsheet import skips validators
ESCAPED = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b onclick=alert(3)&gt;"]


class _Injected(HTMLParser):
    """Elements and attributes the payloads would have made, had they been rendered as HTML."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        self.found += [f"<{tag} {name}={value}>" for name, value in attrs if name == "onclick" and "alert(" in value]

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip() == "alert(1)":
            self.found.append(f"<script>{data}</script>")


def assert_escaped(response) -> None:
    """The page shows a payload, escaped, and no payload became markup."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    parser = _Injected()
    parser.feed(html)
    assert parser.found == []
    assert any(marker in html for marker in ESCAPED), "the page does not show the hostile text at all"


@pytest.fixture
def hostile(db):
    """Every kind of user text carrying the payloads, linked so that each page shows some."""
    department = DepartmentFactory(name=LONG)
    unit = UnitFactory(name=SHORT, department=department)
    designation = DesignationFactory(name=LONG, cadre=CadreFactory(name=SHORT))
    person = UserFactory(
        username=USERNAME,
        full_name=LONG,
        about_me=LONG,
        office_address=LONG,
        department=department,
        unit=unit,
        designation=designation,
    )
    reader = UserFactory(username="reader")
    department.heads.add(person)
    unit.heads.add(person)
    return SimpleNamespace(
        person=person,
        reader=reader,
        department=department,
        unit=unit,
        designation=designation,
        post=PostFactory(author=person, body=LONG),
        message=MessageFactory(sender=person, recipient=reader, body=LONG),
        follow=FollowFactory(follower=reader, followed=person),
    )


def _admin(h: SimpleNamespace, name: str, view: str) -> str:
    obj = getattr(h, name)
    path = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/"
    return path if view == "changelist" else f"{path}{obj.pk}/{view}/"


ADMIN_PAGES = [
    (name, view)
    for name in ("person", "post", "message", "follow", "department", "unit", "designation")
    for view in ("changelist", "change", "delete", "history")
]


@pytest.mark.parametrize(("name", "view"), ADMIN_PAGES)
def test_the_admin_escapes_user_text(admin_client, hostile, name, view):
    assert_escaped(admin_client.get(_admin(hostile, name, view)))


def test_the_cadre_changelist_escapes_its_names(admin_client, hostile):
    assert_escaped(admin_client.get("/admin/organization/cadre/"))


@pytest.mark.parametrize("name", ["person", "department", "unit", "designation"])
def test_the_admin_history_records_escape_user_text(admin_client, hostile, name):
    """django-simple-history's view of one historical record (where the admin keeps a history)."""
    obj = getattr(hostile, name)
    if not hasattr(type(obj), "history"):
        pytest.skip(f"{type(obj).__name__} keeps no history")
    record = obj.history.first()
    assert_escaped(admin_client.get(f"{_admin(hostile, name, 'history')}{record.history_id}/"))


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


IMPORTS = {
    "department": ("organization_department", f"name,abbr,kind\n{_csv_cell(LONG)},x,department\n"),
    # A bad email: the preview lists the row with its errors, and the values it read.
    "person": ("accounts_user", f"username,email,department\n{_csv_cell(USERNAME)},not-an-email,{_csv_cell(LONG)}\n"),
}


@pytest.mark.parametrize("name", IMPORTS)
def test_the_admin_import_preview_escapes_user_text(admin_client, name):
    """django-import-export's dry run shows the file's rows (where the admin imports spreadsheets)."""
    view, content = IMPORTS[name]
    try:
        url = reverse(f"admin:{view}_import")
    except NoReverseMatch:
        pytest.skip(f"no spreadsheet import for {name}")
    upload = SimpleUploadedFile("hostile.csv", content.encode())
    assert_escaped(admin_client.post(url, {"format": "0", "import_file": upload}))  # format 0: CSV


PAGES = {
    "popover": lambda h: f"/user/{quote(USERNAME)}/popup/",
    "profile": lambda h: f"/user/{quote(USERNAME)}/",
    "feed": lambda h: "/",
    "messages": lambda h: "/messages/",
    "directory": lambda h: "/organization/",
    "department": lambda h: f"/organization/department/{h.department.pk}/",
    "unit": lambda h: f"/organization/unit/{h.unit.pk}/",
}


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_and_the_hover_card_escape_user_text(hostile, page):
    client = sign_in(Client(), hostile.reader)
    assert_escaped(client.get(PAGES[page](hostile)))


API = {
    "person": (lambda h: f"/api/users/{h.person.pk}/", {"username": USERNAME, "full_name": LONG, "about_me": LONG}),
    "post": (lambda h: f"/api/posts/{h.post.pk}/", {"body": LONG}),
    "department": (lambda h: f"/api/departments/{h.department.pk}/", {"name": LONG}),
    "unit": (lambda h: f"/api/units/{h.unit.pk}/", {"name": SHORT}),
    "designation": (lambda h: f"/api/designations/{h.designation.pk}/", {"name": LONG}),
}


@pytest.mark.parametrize("resource", API)
def test_the_api_returns_user_text_unchanged_as_json_never_as_html(client_for, hostile, resource):
    url, expected = API[resource]
    response = client_for(hostile.reader).get(url(hostile))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {key: response.json()[key] for key in expected} == expected  # escaping is the job of who renders it


@pytest.mark.parametrize("resource", API)
def test_the_browsable_api_escapes_user_text(hostile, resource):
    client = sign_in(Client(), hostile.reader)
    response = client.get(API[resource][0](hostile), HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    assert_escaped(response)


# --- Cookies and HSTS under the production settings ----------------------------------------------------------

SECURITY_SETTINGS = [
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]


PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def configured(settings):
    """configured(**env): apply the security settings that project/settings.py gives under `env` alone."""

    def apply(**env: str) -> None:
        # Neither the developer's environment nor their .env may decide the outcome.
        with mock.patch.dict(os.environ, env), mock.patch("environ.Env.read_env"):
            for name in ["DEBUG", *SECURITY_SETTINGS]:
                if name not in env:
                    os.environ.pop(name, None)
            module = runpy.run_path(str(ROOT / "project" / "settings.py"))
        for name in SECURITY_SETTINGS:
            setattr(settings, name, module.get(name, getattr(global_settings, name)))

    return apply


@pytest.fixture
def deployed(configured):
    """deployed(**env): the same under the production environment (the README's minimum) plus `env`."""

    def apply(**env: str) -> None:
        production = {"DEBUG": "False", "SECRET_KEY": get_random_secret_key(), "ALLOWED_HOSTS": "blog.example.org"}
        configured(**production, **env)

    return apply


def _cookie(response, name: str) -> list[str]:
    """The attributes of the Set-Cookie header for `name`, lower-cased, without its value."""
    header = response.cookies[name].output(header="").strip()
    return sorted(part.strip().lower() for part in header.split(";")[1:])


def test_signing_in_over_https_sets_secure_samesite_cookies_and_an_httponly_session(deployed, user):
    deployed()
    client = Client()
    login = client.get("/accounts/login/", secure=True)
    assert {"samesite=lax", "secure"} <= set(_cookie(login, "csrftoken"))

    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert {"httponly", "samesite=lax", "secure"} <= set(_cookie(response, "sessionid"))


def test_in_development_the_cookies_work_over_plain_http(configured, user):
    configured()
    response = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert "secure" not in _cookie(response, "sessionid")
    assert "Strict-Transport-Security" not in Client().get("/", secure=True)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "max-age=31536000; includeSubDomains; preload"),
        ({"SECURE_HSTS_SECONDS": "3600"}, "max-age=3600; includeSubDomains; preload"),
        ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": "False", "SECURE_HSTS_PRELOAD": "False"}, "max-age=31536000"),
        ({"SECURE_HSTS_SECONDS": "0"}, None),
    ],
)
def test_hsts_is_on_in_production_and_follows_its_variables(db, deployed, env, expected):
    deployed(**env)
    response = Client().get("/", secure=True)
    assert response.status_code == 200
    assert response.get("Strict-Transport-Security") == expected


def test_behind_a_tls_proxy_http_is_https_and_plain_http_is_redirected(db, deployed):
    deployed(NUM_PROXIES="1")
    proxied = Client().get("/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = Client().get("/explore/")
    assert (plain.status_code, plain["Location"]) == (301, "https://testserver/explore/")


def test_without_a_declared_proxy_a_client_cannot_claim_https(db, deployed):
    deployed()
    claimed = Client().get("/explore/", HTTP_X_FORWARDED_PROTO="https")
    assert (claimed.status_code, claimed["Location"]) == (301, "https://testserver/explore/")


def test_static_app_js_never_reads_cookies():
    """What keeps CSRF_COOKIE_HTTPONLY a free choice: no script of ours needs the cookie."""
    assert "cookie" not in (ROOT / "static" / "app.js").read_text().lower()


# --- The repository ----------------------------------------------------------------------------------------------

KEY = "SECRET_KEY"  # the examples below are built with it, so that the scan does not find them in this file
DEVELOPMENT_KEY = "django-insecure-development-only-key-never-use-in-production"
# SECRET_KEY literals that are known not to be secrets: (path, value).
KNOWN_KEYS = {
    ("project/settings.py", DEVELOPMENT_KEY),
    # A fixed, never-deployed key for the deploy-check test (get_random_secret_key() there would retire this).
    ("tests/test_settings.py", "x7!kq2@v9#p4$z8&m1^r6*t3(w5)y0_u-e=b+n~c?h;j:g,f.d<s>a|o{i}l["),
}
PLACEHOLDER_PASSWORDS = {"pass", "password"}
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
}
# A quoted literal assigned to SECRET_KEY, given as its value in a dict or as the default of its env.str(); and,
# in .env-style files, the unquoted value of a SECRET_KEY line. Values starting with $ come from the shell.
KEY_LITERAL = re.compile(r"""\bSECRET_KEY["']?[ \t]*(?:=|:|,[ \t]*default[ \t]*=)[ \t]*["']([^"'\n$][^"'\n]*)["']""")
KEY_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?SECRET_KEY=([^\s\"'$#][^\s#]*)", re.MULTILINE)
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:([^\s/@'\"]+)@")
FORBIDDEN_FILES = re.compile(
    r"(^|/)(\.env(\.(?!example$)[^/]+)?|id_(rsa|dsa|ecdsa|ed25519)|[^/]*\.(pem|key|p12|pfx|sqlite3))$"
)


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def repository_files() -> list[str]:
    """What git tracks, plus what `git add -A` would add (a secret is caught before its commit)."""
    try:
        inside = _git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    except FileNotFoundError:
        inside = False
    if not inside:
        pytest.skip("not a git checkout: nothing to scan")
    listed = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z").stdout.split("\0")
    return sorted({path for path in listed if path})


def test_no_env_key_or_database_file_is_in_the_repository(repository_files):
    assert [path for path in repository_files if FORBIDDEN_FILES.search(path)] == []
    assert ".env.example" in repository_files


@pytest.mark.parametrize("path", [".env", "project/.env"])
def test_env_files_are_ignored_by_git(path):
    result = _git("check-ignore", "--no-index", "--quiet", path)
    assert result.returncode == 0, f"{path} is not ignored: add `.env` to .gitignore"


def _secrets_in(path: str, text: str) -> list[str]:
    found = [f"{path}: {name}" for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
    for match in [*KEY_LITERAL.finditer(text), *KEY_LINE.finditer(text)]:
        if (path, match.group(1)) not in KNOWN_KEYS:
            found.append(
                f"{path}: a SECRET_KEY literal ({match.group(1)[:4]}…): generate it (get_random_secret_key()) "
                "or, if it is no secret and must stay fixed, add it to KNOWN_KEYS"
            )
    found += [
        f"{path}: a password in a URL"
        for match in URL_PASSWORD.finditer(text)
        if match.group(1) not in PLACEHOLDER_PASSWORDS
    ]
    return found


def test_no_file_holds_a_secret(repository_files):
    found = []
    for path in repository_files:
        file = ROOT / path
        if not file.is_file():
            continue  # deleted in the work tree
        data = file.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images)
        found += _secrets_in(path, data.decode("utf-8", errors="replace"))
    assert found == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f'{KEY} = "k3y-that-is-real"', True),
        (f"{KEY}=k3y-that-is-real", True),
        (f"export {KEY}=k3y-that-is-real", True),
        (f'{{"{KEY}": "k3y-that-is-real"}}', True),
        (f'env.str("{KEY}", default="k3y-that-is-real")', True),
        (f"-----BEGIN OPENSSH {'PRIVATE'} KEY-----", True),
        ("DATABASE_URL=postgres://app:" + "s3cr3t@db:5432/blog", True),
        (f"{KEY}=", False),
        (f'{KEY}=$(python -c "import secrets; print(secrets.token_urlsafe(50))")', False),
        (f'{KEY} = env.str("{KEY}", default="")', False),
        (f'"{KEY}": secrets.token_urlsafe(50)', False),
        (f"if not {KEY}:\n    raise ImproperlyConfigured('{KEY} must be set')", False),
        ("smtp+tls://user:password@smtp.example.org:587", False),
    ],
)
def test_the_secret_scan_finds_what_it_should_and_only_that(text, found):
    assert bool(_secrets_in("some/file", text)) is found
