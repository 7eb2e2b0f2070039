"""The Content-Security-Policy (django-csp, project/settings.py) on every response of the site's main URLs.

Each response carries the policy, whatever its status or type (pages, fragments, JSON, JavaScript, images, 404s and
the early 400 of core.middleware); each HTML page has nothing the policy would refuse: no <script> with code, no
<style>, no style="" or on…="" attribute, no javascript: URL. ReDoc's page alone adds a nonce (the one its
start-up script's tag carries), the hashes of one stylesheet and blob: workers (project/urls.py).
tests/browser/test_csp.py checks the same pages in Chromium.
"""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ImportExportMixin

from organization.models import Department
from project.urls import REDOC_STYLE_HASHES
from tests.admin_import.helpers import dry_run
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

POLICY = {name: " ".join(sources) for name, sources in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()}


def directives(header: str) -> dict[str, str]:
    """{directive: its sources} of a Content-Security-Policy header."""
    pairs = (part.strip().partition(" ") for part in header.split(";") if part.strip())
    return {name: sources for name, _, sources in pairs}


class InlineCode(HTMLParser):
    """What the policy would refuse in an HTML page: inline scripts and styles, handlers, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script: str | None = None  # the tag of the <script> being read, if it has no src

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            self._script = self.get_starttag_text()
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'{name}="{value}" in {self.get_starttag_text()}')
            is_url = name in ("href", "src", "action", "formaction")
            if is_url and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{name}={value}")

    def handle_data(self, data):
        if self._script is not None and data.strip():
            self.found.append(f"{self._script}{data.strip()[:80]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def check(response, url: str, *, policy: dict[str, str] = POLICY) -> list[str]:
    """The problems of one response: a missing or different policy, inline code in its HTML."""
    header = response.get("Content-Security-Policy")
    if not header:
        return [f"{url} ({response.status_code}): no Content-Security-Policy header"]
    problems = []
    if directives(header) != policy:
        problems.append(f"{url}: the policy is {header!r}")
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        problems += [f"{url}: {found}" for found in inline_code(response.content.decode())]
    return problems


@pytest.fixture
def people(db):
    unit = UnitFactory()
    maria = UserFactory(username="maria", department=unit.department, unit=unit, designation=DesignationFactory())
    sam = UserFactory(username="sam", department=unit.department)
    unit.department.heads.add(maria)
    FollowFactory(follower=sam, followed=maria)
    PostFactory(author=maria, body="New slit lamp installed today.")
    MessageFactory(sender=maria, recipient=sam, body="Can you present the case?")
    CadreFactory()
    return maria, sam


def signed_out_urls(maria) -> list[str]:
    department, unit = maria.department, maria.unit
    return [
        "/",
        "/accounts/register/",
        "/accounts/login/",
        "/accounts/password_reset/",
        "/explore/",
        "/search/?q=slit",
        "/organization/",
        f"/organization/department/{department.pk}/",
        f"/organization/unit/{unit.pk}/",
        "/user/maria/",
        "/user/maria/popup/",
        f"/avatar/{maria.pk}.svg",
        "/no-such-page/",  # 404
        "/?q=%00",  # 400 from core.middleware.RejectNullCharactersMiddleware
        "/api/",
        "/api/posts/",
        "/api/users/",  # 401 or 403 signed out
        "/api/no-such-endpoint/",
        "/api/schema/",
        "/api/docs/",
        "/api/docs/?script",  # Swagger UI's start-up script (SpectacularSwaggerSplitView)
        "/api-auth/login/",
        "/admin/login/",
        "/admin/",  # a redirect to the admin's sign-in
    ]


def test_every_signed_out_response_carries_the_policy(client, people):
    maria, _ = people
    problems = []
    for url in signed_out_urls(maria):
        problems += check(client.get(url), url)
        if url.startswith("/api/"):  # the browsable API, as a browser asks for it
            problems += check(client.get(url, HTTP_ACCEPT="text/html"), f"{url} (HTML)")
    for url, data in [  # forms shown again with their errors
        ("/accounts/login/", {"username": "maria", "password": "wrong"}),
        ("/accounts/register/", {"username": "maria"}),
        ("/api-auth/login/", {"username": "maria", "password": "wrong"}),
    ]:
        problems += check(client.post(url, data), f"POST {url}")
    assert problems == [], "\n".join(problems)


def test_every_signed_in_response_carries_the_policy(client, people):
    maria, sam = people
    sign_in(client, sam)
    problems = []
    for url in [
        "/",
        "/explore/",
        "/search/?q=slit",
        "/edit_profile/",
        "/messages/",
        "/send_message/maria/",
        "/notifications/",
        "/user/sam/",
        "/user/maria/",
        "/user/maria/popup/",
        "/organization/",
        f"/organization/department/{maria.department_id}/",
        f"/organization/unit/{maria.unit_id}/",
        "/accounts/password_change/",
    ]:
        problems += check(client.get(url), url)
    for url in ["/api/", "/api/posts/", f"/api/posts/{maria.posts.get().pk}/", "/api/users/", "/api/feed/"]:
        problems += check(client.get(url), url)
        problems += check(client.get(url, HTTP_ACCEPT="text/html"), f"{url} (HTML)")
    problems += check(client.post("/send_message/maria/", {"body": ""}), "POST /send_message/maria/")
    assert problems == [], "\n".join(problems)


def test_every_admin_page_carries_the_policy(client, people, admin_user):
    """Each registered model's changelist, add form, change form and history, and the import and export pages."""
    client.force_login(admin_user)
    problems = []
    urls = ["/admin/", "/admin/accounts/", "/admin/organization/"]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
        instance = model._default_manager.order_by("pk").first()
        if instance is not None:
            urls += [reverse(f"{name}_change", args=[instance.pk]), reverse(f"{name}_history", args=[instance.pk])]
        if isinstance(model_admin, ImportExportMixin):
            urls += [reverse(f"{name}_import"), reverse(f"{name}_export")]
    assert "/admin/organization/department/import/" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        problems += check(response, url)
    # An import's preview, whose cells show the changes (diff-match-patch's <ins> and <del>, without their styles).
    DepartmentFactory(name="Cardiology", abbr="Cardiac")  # updated by the file: "Cardiac" → "Cardio"
    preview = dry_run(client, Department, "departments.csv")
    assert "<del>" in preview.content.decode() and "<ins>" in preview.content.decode()
    problems += check(preview, "the import preview")
    assert problems == [], "\n".join(problems)


def test_redoc_alone_adds_a_nonce_two_hashes_and_blob_workers(client, db):
    response = client.get("/api/redoc/")
    header = directives(response["Content-Security-Policy"])
    nonce = re.search(r"'nonce-([^']+)'", header["style-src"]).group(1)
    style_src = " ".join(["'self'", f"'nonce-{nonce}'", *REDOC_STYLE_HASHES])
    assert header == {**POLICY, "style-src": style_src, "worker-src": "'self' blob:"}
    assert len(nonce) >= 22 and nonce.isascii()
    html = response.content.decode()
    assert f'nonce="{nonce}"' in html  # on the tag of static/api-docs/redoc-init.js, which hands it to ReDoc
    assert inline_code(html) == []
    assert client.get("/api/redoc/")["Content-Security-Policy"] != response["Content-Security-Policy"]  # fresh


def test_the_policy_allows_nothing_unsafe():
    header = " ".join(POLICY.values())
    assert "unsafe" not in header and "*" not in header and "http" not in header
    assert POLICY["script-src"] == POLICY["style-src"] == "'self'"
    assert POLICY["frame-ancestors"] == POLICY["object-src"] == "'none'"


def test_the_checker_finds_inline_code():
    html = (
        '<script>alert(1)</script><script src="/a.js"></script><script type="application/json">{}</script>'
        '<style>b {}</style><p style="color: red" onclick="x()"><a href="javascript:x()">x</a></p>'
    )
    assert len(inline_code(html)) == 5


def test_the_middleware_comes_early():
    """Installed once, right after SecurityMiddleware: the early answers of the middleware after it carry it too."""
    assert settings.MIDDLEWARE.count("csp.middleware.CSPMiddleware") == 1
    assert settings.MIDDLEWARE.index("csp.middleware.CSPMiddleware") == 1


def test_swagger_ui_loads_no_validator_badge(client, db):
    """Swagger UI's badge is an image from validator.swagger.io (off localhost), which the policy would refuse."""
    script = client.get("/api/docs/?script").content.decode()
    assert '"validatorUrl": null' in script
    assert '"deepLinking": true' in script
