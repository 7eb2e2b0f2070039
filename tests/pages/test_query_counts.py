"""Every page runs the same number of SQL queries for 1 row as for 25+ rows, and only a few."""

import pytest
from django.test import Client

from tests.factories import (
    DesignationFactory,
    FollowFactory,
    MessageFactory,
    PostFactory,
    UnitFactory,
    UserFactory,
)
from tests.pages.helpers import count_queries, sign_in, text

pytestmark = pytest.mark.django_db

MANY = 30  # more than a page: the paginator's count and the page slice both run


def _person(n):
    """Someone with a designation, unit, department, `n` posts, `n` followers and `n` followed."""
    unit = UnitFactory()
    person = UserFactory(designation=DesignationFactory(), unit=unit, department=unit.department)
    PostFactory.create_batch(n, author=person)
    FollowFactory.create_batch(n, followed=person)
    FollowFactory.create_batch(n, follower=person)
    return person


def _feed(viewer, n):
    for _ in range(n):
        FollowFactory(follower=viewer, followed=PostFactory().author)
    return "/"


def _explore(viewer, n):
    PostFactory.create_batch(n)
    return "/explore/"


def _profile(viewer, n):
    return f"/user/{_person(n).username}/"


def _popup(viewer, n):
    return f"/user/{_person(n).username}/popup/"


def _messages(viewer, n):
    MessageFactory.create_batch(n, recipient=viewer)
    return "/messages/"


def _search(viewer, n):
    PostFactory.create_batch(n, body="Grand rounds moved")
    return "/search/?q=rounds"


def _directory(viewer, n):
    for _ in range(n):
        unit = UnitFactory()
        head = UserFactory()
        unit.department.heads.add(head)
        unit.heads.add(head)
    return "/organization/"


def _department(viewer, n):
    unit = UnitFactory()
    unit.department.heads.add(*UserFactory.create_batch(n))
    UnitFactory.create_batch(n, department=unit.department)
    for _ in range(n):
        UserFactory(department=unit.department, unit=unit, designation=DesignationFactory())
    return f"/organization/department/{unit.department_id}/"


def _unit(viewer, n):
    unit = UnitFactory()
    unit.heads.add(*UserFactory.create_batch(n))
    for _ in range(n):
        UserFactory(department=unit.department, unit=unit, designation=DesignationFactory())
    return f"/organization/unit/{unit.pk}/"


# page: (builder, measured queries signed in — the same on SQLite, PostgreSQL and MariaDB)
PAGES = {
    "feed": (_feed, 4),  # session, user, count, page
    "explore": (_explore, 4),  # session, user, count, page
    "profile": (_profile, 4),  # session, user, person with counts (the post count pages the posts), page
    "popup": (_popup, 3),  # session, user, person with counts
    "messages": (_messages, 5),  # session, user, mark read (UPDATE), count, page
    "search": (_search, 4),  # session, user, count, page
    "directory": (_directory, 6),  # session, user, count, departments, units, heads
    "department": (_department, 7),  # session, user, department, units, heads, count, page
    "unit": (_unit, 6),  # session, user, unit with department, heads, count, page
}


# What shows that the MANY rows are on the page.
ROWS = {
    "feed": ('class="mb-0 post-body"', 25),
    "explore": ('class="mb-0 post-body"', 25),
    "profile": ('class="mb-0 post-body"', 25),
    "popup": (f"{MANY} followers · {MANY} following", 1),
    "messages": ('class="mb-0 message-body"', 25),
    "search": ('class="mb-0 post-body"', 25),
    "directory": ('<div class="card h-100">', 25),
    "department": ("<tr><td>", 25),
    "unit": ("<tr><td>", 25),
}

CASES = [(page, True) for page in PAGES] + [(page, False) for page in PAGES if page not in {"feed", "messages"}]


def _client(viewer, signed):
    return sign_in(Client(), viewer) if signed else Client()


@pytest.mark.parametrize(
    ("page", "signed"), CASES, ids=[f"{page}-{'signed-in' if signed else 'anonymous'}" for page, signed in CASES]
)
def test_query_count_does_not_grow_with_the_rows_shown(page, signed, django_assert_max_num_queries):
    build, most = PAGES[page]
    viewer = UserFactory()
    one = count_queries(_client(viewer, signed), build(viewer, 1))

    viewer = UserFactory()
    url = build(viewer, MANY)
    client = _client(viewer, signed)
    with django_assert_max_num_queries(most if signed else most - 2) as ctx:  # anonymous: no session, no user
        response = client.get(url)
    assert response.status_code == 200
    many = len(ctx.captured_queries)
    assert many == one, f"{page}: {one} queries for 1 row, {many} for {MANY}"
    marker, rows = ROWS[page]
    assert text(response).count(marker) == rows
