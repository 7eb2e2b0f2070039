"""project.api.PreparedList: a list with paging parameters only (prepared) answers what the queryset answers."""

import pytest

from tests.factories import FollowFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people_and_posts():
    people = UserFactory.create_batch(5)
    for i, person in enumerate(people):
        PostFactory.create_batch(i + 1, author=person)
    for other in people[1:4]:
        FollowFactory(follower=people[0], followed=other)
    return people


def _without_links(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in ("next", "previous")}


@pytest.mark.parametrize("url", ["/api/users/", "/api/posts/", "/api/feed/"])
@pytest.mark.parametrize("paging", ["", "?page_size=2", "?page=2&page_size=2", "?page=3&page_size=4"])
def test_a_prepared_page_is_the_querysets_page(client_for, people_and_posts, url, paging):
    client = client_for(people_and_posts[0])
    prepared = client.get(url + paging)
    # Any other parameter (unknown to the view) takes the ordinary queryset path: the same rows must come back.
    separator = "&" if paging else "?"
    ordinary = client.get(f"{url}{paging}{separator}not_a_filter=1")
    assert prepared.status_code == ordinary.status_code
    if prepared.status_code == 200:
        assert _without_links(prepared.json()) == _without_links(ordinary.json())
        assert prepared.json()["results"]


def test_a_page_past_the_end_is_404_on_both_paths(client_for, people_and_posts):
    client = client_for(people_and_posts[0])
    assert client.get("/api/users/?page=99").status_code == 404
    assert client.get("/api/users/?page=99&not_a_filter=1").status_code == 404
