"""/search/ over post bodies and the organization directory."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import DepartmentFactory, DesignationFactory, PostFactory, UnitFactory, UserFactory
from tests.pages.helpers import follow_link, link, text

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
not_postgres = pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL uses full-text search")


def member_row(html: str, username: str) -> str:
    return re.search(rf"<tr><td><a [^>]*>{username}</a>\s*</td>.*?</tr>", html, re.S).group(0)


def found(response) -> list[str]:
    return re.findall(r'<p class="mb-0 post-body">([^<]*)</p>', text(response))


@pytest.fixture
def posts():
    now = timezone.now()
    PostFactory(body="Grand rounds moved", timestamp=now - timedelta(hours=1))
    PostFactory(body="Rounds again tomorrow", timestamp=now)
    PostFactory(body="Lunch in the mess")


def test_search_finds_posts_by_a_word_newest_first(client, posts):
    response = client.get("/search/", {"q": "rounds"})
    assert response.status_code == 200
    assert found(response) == ["Rounds again tomorrow", "Grand rounds moved"]
    assert "2 posts found." in text(response)
    assert 'value="rounds"' in text(response)


def test_search_with_no_match_says_so(client, posts):
    response = client.get("/search/", {"q": "zebra"})
    assert found(response) == []
    assert "No post matches." in text(response)


def test_empty_search_shows_no_results_and_no_error(client, posts):
    response = client.get("/search/", {"q": ""})
    assert response.status_code == 200
    assert found(response) == []
    assert "found." not in text(response)
    assert 'id="search-q"' in text(response)


def test_blank_search_shows_no_results_and_no_error(client, posts):
    response = client.get("/search/", {"q": "   "})
    assert response.status_code == 200
    assert found(response) == []


def test_search_without_q_shows_the_form(client, posts):
    response = client.get("/search/")
    assert response.status_code == 200
    assert found(response) == []


@pytest.mark.parametrize("q", ['"unbalanced', "a & b | !c", "x:*", "100%", "under_score", "(", "-"])
def test_search_survives_odd_input(client, posts, q):
    assert client.get("/search/", {"q": q}).status_code == 200


@postgres_only
def test_postgresql_search_stems_words(client, posts):
    assert found(client.get("/search/", {"q": "round"})) == ["Rounds again tomorrow", "Grand rounds moved"]
    assert found(client.get("/search/", {"q": "moving"})) == ["Grand rounds moved"]


@not_postgres
@pytest.mark.parametrize("q", ["ROUNDS", "ound", "rounds moved"])
def test_search_elsewhere_is_a_case_insensitive_substring_match(client, posts, q):
    assert "Grand rounds moved" in found(client.get("/search/", {"q": q}))


def test_search_paginates_and_keeps_q_in_the_links(client):
    now = timezone.now()
    for i in range(30):
        PostFactory(body=f"rounds-{i:02d}", timestamp=now - timedelta(minutes=i))
    PostFactory(body="unrelated", timestamp=now + timedelta(minutes=1))
    first = client.get("/search/", {"q": "rounds"})
    assert "30 posts found." in text(first)
    assert found(first) == [f"rounds-{i:02d}" for i in range(25)]
    assert "q=rounds" in link(first, "next")
    second = follow_link(client, first, "next")
    assert found(second) == [f"rounds-{i:02d}" for i in range(25, 30)]
    assert "q=rounds" in link(second, "prev")
    assert found(follow_link(client, second, "prev")) == found(first)


@pytest.fixture
def org():
    surgery = DepartmentFactory(name="Surgery", abbr="SURG")
    unit = UnitFactory(name="Surgery Unit 1", abbr="SU1", department=surgery)
    DepartmentFactory(name="Anaesthesiology", abbr="ANAES", kind="center")
    head = UserFactory(username="drhead", department=surgery)
    surgery.heads.add(head)
    unit.heads.add(head)
    professor = DesignationFactory(name="Professor")
    member = UserFactory(username="meera", full_name="Meera N", department=surgery, unit=unit, designation=professor)
    return {"department": surgery, "unit": unit, "head": head, "member": member}


def test_directory_lists_departments_with_their_units_and_heads(client, org):
    response = client.get("/organization/")
    assert response.status_code == 200
    html = text(response)
    assert html.index("Anaesthesiology") < html.index("Surgery")
    assert f'href="/organization/department/{org["department"].pk}/">Surgery</a>' in html
    assert f'href="/organization/unit/{org["unit"].pk}/">Surgery Unit 1</a>' in html
    assert 'href="/user/drhead/"' in html
    assert "Center" in html
    assert "No units" in html  # Anaesthesiology


def test_directory_with_nothing_says_so(client):
    assert "No departments yet." in text(client.get("/organization/"))


def test_directory_is_paginated(client):
    DepartmentFactory.create_batch(30)
    response = client.get("/organization/")
    assert link(response, "next") is not None


def test_department_page_lists_members_with_designation_and_unit(client, org):
    response = client.get(f"/organization/department/{org['department'].pk}/")
    assert response.status_code == 200
    html = text(response)
    assert "Surgery" in html
    assert 'href="/user/drhead/"' in html  # head
    assert f'href="/organization/unit/{org["unit"].pk}/">Surgery Unit 1</a>' in html
    row = member_row(html, "meera")
    assert "Meera N" in row
    assert "Professor" in row
    assert "Surgery Unit 1" in row


def test_unit_page_lists_members_with_designation(client, org):
    response = client.get(f"/organization/unit/{org['unit'].pk}/")
    assert response.status_code == 200
    html = text(response)
    assert f'href="/organization/department/{org["department"].pk}/">Surgery</a>' in html
    row = member_row(html, "meera")
    assert "Professor" in row
    assert "drhead" in html


def test_a_unit_without_members_says_so(client):
    assert "Nobody yet." in text(client.get(f"/organization/unit/{UnitFactory().pk}/"))


@pytest.mark.parametrize("kind", ["department", "unit"])
def test_unknown_department_or_unit_is_404(client, kind):
    response = client.get(f"/organization/{kind}/999999/")
    assert response.status_code == 404
    assert "Page not found" in text(response)


@pytest.mark.parametrize("kind", ["department", "unit"])
def test_member_lists_paginate_by_username_with_working_links(client, kind):
    unit = UnitFactory()
    for i in range(27):
        UserFactory(username=f"member{i:02d}", department=unit.department, unit=unit)
    pk = unit.pk if kind == "unit" else unit.department_id
    first = client.get(f"/organization/{kind}/{pk}/")
    names = re.findall(r">(member\d\d)</a>", text(first))
    assert names == [f"member{i:02d}" for i in range(25)]
    second = follow_link(client, first, "next")
    assert re.findall(r">(member\d\d)</a>", text(second)) == ["member25", "member26"]
    assert re.findall(r">(member\d\d)</a>", text(follow_link(client, second, "prev"))) == names
