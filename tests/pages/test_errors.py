"""Templated 400, 403, 404, 409 and 500 pages."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.views import defaults

from posts.models import Post
from tests.factories import UserFactory
from tests.pages.helpers import text

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_unknown_address_is_the_templated_404_in_the_site_layout(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    html = text(response)
    assert "Page not found" in html
    assert 'class="navbar-brand"' in html


@override_settings(DEBUG=False)
def test_404_for_a_signed_in_person_keeps_their_navigation(signed_in, user):
    response = signed_in(user).get("/user/nobody/")
    assert response.status_code == 404
    assert f'href="/user/{user.username}/">Profile' in text(response)


@override_settings(DEBUG=False)
def test_a_bad_host_is_the_templated_400(client):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    assert "Bad request" in text(response)


@override_settings(DEBUG=False)
def test_the_403_handler_renders_the_templated_page():
    request = RequestFactory().get("/")
    response = defaults.permission_denied(request, PermissionError())
    assert response.status_code == 403
    assert "Forbidden" in response.content.decode()
    assert "You are not allowed to do that." in response.content.decode()


@override_settings(DEBUG=False)
def test_a_csrf_failure_is_a_403(signed_in, user):
    response = signed_in(user, enforce_csrf_checks=True).post("/", {"body": "hello"})
    assert response.status_code == 403


@override_settings(DEBUG=False)
def test_a_csrf_failure_is_the_templated_403_in_the_site_layout():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert 'class="navbar-brand"' in text(response)
    assert "You are not allowed to do that." in text(response)


def test_the_500_page_renders_standalone():
    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert 'href="/"' in html
    assert "{%" not in html
    assert "bootstrap.min.css" in html


def test_there_is_a_favicon_and_favicon_ico_leads_to_it(client):
    html = client.get("/explore/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (302, "/static/favicon.svg")


def test_the_landing_page_title_is_the_sites_name_once(client):
    html = client.get("/").content.decode()
    assert "<title>Microblog</title>" in html
    assert "<title>Explore · Microblog</title>" in client.get("/explore/").content.decode()


@pytest.mark.django_db(transaction=True)  # autocommit, as served: the foreign key is checked when the post commits
@override_settings(DEBUG=False)
def test_a_person_deleted_while_posting_gets_the_409_page_not_a_500(client, caplog):
    """The form was valid, then the person was deleted (by an admin, in another request) before their post was
    written: the post's foreign key refuses it. The page says what happened (409), and nothing is written."""
    user = UserFactory()
    client.force_login(user)
    deleted = []

    def delete_the_author_first(execute, sql, params, many, context):
        if not deleted and sql.lstrip().upper().startswith("INSERT") and "posts_post" in sql:
            deleted.append(user.pk)  # the row goes as another request's delete takes it (no signals, no history)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name('accounts_user')} WHERE id = %s", [user.pk])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(delete_the_author_first):
        response = client.post("/", {"body": "hello"})
    assert deleted
    assert response.status_code == 409
    assert "409.html" in [t.name for t in response.templates]
    assert "This conflicts with a change made at the same time. Reload and try again." in text(response)
    assert not Post.objects.exists()
    (record,) = [r for r in caplog.records if r.name == "core.middleware"]
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith("A write lost a race at a constraint, answered 409: POST /")
