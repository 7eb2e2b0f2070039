"""Every admin URL answers bad input with a 4xx (or the admin's own redirect), never a 500: ids that are
not ids in every parameter of every admin route, and query strings the changelists and exports cannot use.
Routes are read from the URLconf, as the authorization matrix reads them."""

import re

import pytest

from tests.authz_matrix import unsafe_routes

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
ADMIN_ROUTES = sorted({r.route for r in unsafe_routes() if r.is_admin and PARAMETER.search(r.route)})
EXPORTS = sorted({r.route for r in unsafe_routes() if r.is_admin and r.route.endswith("/export/")})
BAD_IDS = ["ab", "-1", "1.5", "99999999999999999999999", "00000000-0000-0000-0000-00000000000g"]


def _path(route: str, value: str) -> str:
    path = PARAMETER.sub(value, route.removeprefix("^").removesuffix("$"))
    return "/" + re.sub(r"\(\?:[^)]*\)\??|[\\^$?*+]", "", path)


@pytest.mark.parametrize("route", ADMIN_ROUTES)
@pytest.mark.parametrize("value", BAD_IDS)
def test_an_admin_route_given_a_bad_id_is_not_a_500(admin_client, route, value):
    response = admin_client.get(_path(route, value))
    assert response.status_code < 500


@pytest.mark.parametrize("route", sorted({r.route.rsplit("/", 2)[0] + "/" for r in unsafe_routes() if r.is_admin}))
@pytest.mark.parametrize("query", ["search=ab", "zz=1&o=ab", "p=ab", "o=99", "e=1", "all=1"])
def test_an_admin_page_given_an_unknown_query_is_not_a_500(admin_client, route, query):
    response = admin_client.get(f"{_path(route, '1')}?{query}")
    assert response.status_code < 500


@pytest.mark.parametrize("route", EXPORTS)
def test_an_export_with_filters_it_cannot_use_is_a_400(admin_client, route):
    assert admin_client.get(f"{_path(route, '1')}?search=ab").status_code == 400
