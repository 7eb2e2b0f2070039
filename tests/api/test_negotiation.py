"""project.negotiation.ContentNegotiation chooses what DRF's own negotiation chooses."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from project.negotiation import ContentNegotiation

ACCEPTS = [
    None,
    "*/*",
    "",
    "application/json",
    "application/json; indent=4",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/xml",
    "*/*; q=0.5",
    " */*",
]


def _choice(negotiation, accept, query="", format_suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/users/{query}", **headers))
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, format_suffix)
    except NotAcceptable:
        return "406"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?page=2"])
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_renderer_is_drfs_choice(accept, query):
    assert _choice(ContentNegotiation(), accept, query) == _choice(DefaultContentNegotiation(), accept, query)


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_a_format_suffix_is_negotiated_as_drf_does(accept):
    assert _choice(ContentNegotiation(), accept, format_suffix="api") == ("BrowsableAPIRenderer", "text/html")


def test_a_client_that_accepts_anything_gets_json(client, db):
    response = client.get("/api/users/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert client.get("/api/users/", HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
