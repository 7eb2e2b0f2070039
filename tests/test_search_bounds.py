"""Every search box has bounds (core.search): past them a clear 400, never a query the database cannot run
(SQLite's "Expression tree is too large" was answered as a database outage, 503)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from core.search import MAX_SEARCH_LENGTH, MAX_SEARCH_WORDS
from project.api_router import router
from tests.pages.helpers import sign_in

pytestmark = pytest.mark.django_db

THOUSAND_WORDS = " ".join(f"w{n}" for n in range(1000))
TOO_LONG = "x" * (MAX_SEARCH_LENGTH + 1)
TOO_MANY = " ".join(["word"] * (MAX_SEARCH_WORDS + 1))
JUST_RIGHT = " ".join(["word"] * MAX_SEARCH_WORDS)

SEARCHABLE_API = sorted(prefix for prefix, viewset, _ in router.registry if getattr(viewset, "search_fields", None))
SEARCHABLE_ADMIN = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in apps.get_models()
    if admin.site.is_registered(model) and admin.site.get_model_admin(model).search_fields
)


def test_every_searchable_list_and_admin_is_covered():
    assert {"posts", "users", "departments", "units", "cadres", "designations"} <= set(SEARCHABLE_API)
    assert {("accounts", "user"), ("posts", "post"), ("auth", "group"), ("authtoken", "tokenproxy")} <= set(
        SEARCHABLE_ADMIN
    )


@pytest.mark.parametrize("prefix", SEARCHABLE_API)
@pytest.mark.parametrize(
    ("search", "problem"), [(THOUSAND_WORDS, "characters"), (TOO_LONG, "characters"), (TOO_MANY, "words")]
)
def test_an_api_search_past_the_bounds_is_a_400_on_the_search_parameter(
    client_for, admin_user, prefix, search, problem
):
    response = client_for(admin_user).get(f"/api/{prefix}/", {"search": search})
    assert response.status_code == 400
    (message,) = response.json()["search"]
    assert problem in message


@pytest.mark.parametrize("prefix", SEARCHABLE_API)
def test_an_api_search_within_the_bounds_is_answered(client_for, admin_user, prefix):
    assert client_for(admin_user).get(f"/api/{prefix}/", {"search": JUST_RIGHT}).status_code == 200


@pytest.mark.parametrize("query", [THOUSAND_WORDS, TOO_LONG, TOO_MANY])
def test_the_search_page_past_the_bounds_is_a_400_that_says_why(client, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 400
    assert 'id="search-problem" role="alert">Search for at most' in response.content.decode()


def test_the_search_page_within_the_bounds_is_answered(client):
    assert client.get("/search/", {"q": JUST_RIGHT}).status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), SEARCHABLE_ADMIN)
@pytest.mark.parametrize("query", [THOUSAND_WORDS, TOO_MANY])
def test_an_admin_search_past_the_bounds_is_a_400(client, admin_user, app_label, model_name, query):
    client.force_login(admin_user)
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert client.get(url, {"q": query}).status_code == 400
    assert client.get(url, {"q": JUST_RIGHT}).status_code == 200


def test_the_signed_in_search_page_says_why_in_hindi(client, user):
    user.language = "hi"
    user.save(update_fields=["language"])
    response = sign_in(client, user).get("/search/", {"q": TOO_MANY})
    assert response.status_code == 400
    assert "Search for at most" not in response.content.decode()
