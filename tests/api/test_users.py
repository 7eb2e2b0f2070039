"""The people API: registration, reading, filters, pagination, profile changes, permissions, queries."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import DesignationFactory, FollowFactory, PostFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/users/"
PUBLIC_FIELDS = {"id", "username", "full_name", "about_me", "last_seen", "avatar", "department", "unit", "designation"}
COUNT_FIELDS = {"post_count", "follower_count", "following_count"}
PRIVATE_FIELDS = {"email", "employee_id", "mobile", "mobile2", "mobile3", "email2", "email3", "office_address"}
STRONG = "plum-Otter-47-lantern"
PROFILE = {
    "full_name": "Asha Rao",
    "about_me": "Anaesthetist; likes trains.",
    "mobile": "+91 98100 12345",
    "mobile2": "011-2658-8500",
    "mobile3": "9810012346",
    "email2": "asha.rao@home.example",
    "email3": "asha@work.example",
    "office_address": "Room 12, 3rd floor, Block B",
}


INVALID = [  # (field, value): each is refused by registration and by PATCH
    *[("about_me", "x" * 141), ("about_me", None), ("mobile", "call me"), ("mobile3", "12"), ("email", "")],
    *[("email", "not-an-email"), ("email2", "not-an-email"), ("email3", "a@"), ("username", "bad name!")],
]


def xfail_on_sqlite(request, reason):
    if connection.vendor == "sqlite":
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def register(client=None, **fields):
    payload = {"username": "asha", "email": "asha@example.org", "password": STRONG} | fields
    return (client or APIClient()).post(USERS, payload)


def member(**kwargs):
    """A person placed in a unit of a department, with a designation."""
    unit = UnitFactory()
    return UserFactory(department=unit.department, unit=unit, designation=DesignationFactory(), **kwargs)


# --- Registration ---------------------------------------------------------------------


def test_registration_creates_the_user_and_shows_their_own_email():
    response = register(**PROFILE)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == PUBLIC_FIELDS | COUNT_FIELDS | PRIVATE_FIELDS
    created = User.objects.get(username="asha")
    assert body["id"] == created.pk
    assert body["email"] == created.email == "asha@example.org"
    assert {name: body[name] for name in PROFILE} == PROFILE
    assert created.check_password(STRONG)
    assert not (created.is_staff or created.is_superuser)
    assert APIClient().post("/api/auth/token/", {"username": "asha", "password": STRONG}).status_code == 200


def test_password_is_never_in_a_response(client_for):
    responses = [register()]
    client = client_for(asha := User.objects.get(username="asha"))
    responses += [
        client.get(url) for url in (USERS, f"{USERS}{asha.pk}/", f"{USERS}me/", f"{USERS}{asha.pk}/followers/")
    ]
    responses.append(client.patch(f"{USERS}{asha.pk}/", {"about_me": "x"}))
    assert {response.status_code for response in responses} == {200, 201}
    assert not [response for response in responses if "password" in response.content.decode()]


@pytest.mark.parametrize("password", ["123", "password", "12345678901", "asha@example.org", "Short1!"])
def test_registration_with_a_weak_password_is_400(password):
    response = register(password=password)
    assert response.status_code == 400
    assert response.json()["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "existing", "attempt"),
    [("username", "asha", "ASHA"), ("email", "asha@example.org", "Asha@Example.ORG"), ("username", "élodie", "Élodie")],
    ids=["username", "email", "non-ascii-username"],
)
def test_registration_with_taken_username_or_email_in_other_case_is_400(request, field, existing, attempt):
    if not attempt.isascii():
        xfail_on_sqlite(request, "SQLite's LIKE and LOWER() fold ASCII only: 'Élodie' registers beside 'élodie'")
    UserFactory(**{field: existing})
    response = register(**{"username": "asha2", "email": "asha2@example.org", field: attempt})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert User.objects.count() == 1


@pytest.mark.parametrize(("field", "value"), [*INVALID, ("username", "")])
def test_registration_with_an_invalid_field_is_400_and_creates_nothing(field, value):
    response = register(**{field: value})
    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_registration_ignores_role_and_flag_fields():
    group = Group.objects.create(name="Admins")
    response = register(is_staff=True, is_superuser=True, is_active=False, groups=[group.pk], employee_id="E1")
    assert response.status_code == 201
    created = User.objects.get(username="asha")
    assert (created.is_staff, created.is_superuser, created.is_active) == (False, False, True)
    assert created.employee_id is None
    assert not created.groups.exists()


# --- Reading ----------------------------------------------------------------------------


def test_user_detail_shows_organization_and_counts(api_client, user):
    asha = member()
    PostFactory.create_batch(3, author=asha)
    for fan in UserFactory.create_batch(2):
        FollowFactory(follower=fan, followed=asha)
    FollowFactory(follower=asha)
    body = api_client.get(f"{USERS}{asha.pk}/").json()
    assert set(body) == PUBLIC_FIELDS | COUNT_FIELDS | PRIVATE_FIELDS
    assert (body["username"], body["full_name"], body["about_me"]) == (asha.username, asha.full_name, asha.about_me)
    assert body["department"] == {"id": asha.department.pk, "name": asha.department.name}
    assert body["unit"] == {"id": asha.unit.pk, "name": asha.unit.name}
    assert body["designation"] == {"id": asha.designation.pk, "name": asha.designation.name}
    assert (body["post_count"], body["follower_count"], body["following_count"]) == (3, 2, 1)
    avatar = api_client.get(body["avatar"])
    assert avatar.status_code == 200
    assert avatar["Content-Type"] == "image/svg+xml"
    plain = api_client.get(f"{USERS}{user.pk}/").json()
    assert (plain["department"], plain["unit"], plain["designation"]) == (None, None, None)


@pytest.mark.parametrize(
    ("viewer", "sees_private"), [("anonymous", False), ("other", False), ("owner", True), ("staff", True)]
)
def test_contact_fields_are_shown_only_to_the_user_and_staff(client_for, viewer, sees_private):
    asha = UserFactory(employee_id="E-100", **PROFILE)
    people = {"owner": asha, "other": UserFactory(), "staff": StaffFactory()}
    client = client_for(people[viewer]) if viewer in people else APIClient()
    expected = {name: getattr(asha, name) if sees_private else None for name in PRIVATE_FIELDS}
    detail = client.get(f"{USERS}{asha.pk}/").json()
    listed = next(row for row in client.get(USERS).json()["results"] if row["id"] == asha.pk)
    for body in (detail, listed):
        assert {name: body[name] for name in PRIVATE_FIELDS} == expected
        assert body["full_name"] == asha.full_name  # public fields are shown to everyone


@pytest.mark.parametrize("path", ["999999/", "abc/", "0/", "-1/", "1.5/", "999999/followers/", "abc/following/"])
def test_unknown_user_is_404_json(api_client, user, path):
    response = api_client.get(USERS + path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- Filters and search -------------------------------------------------------------------


def listed(client, query):
    response = client.get(USERS, query)
    assert response.status_code == 200, response.content
    return sorted(row["username"] for row in response.json()["results"])


def test_filters_by_username_case_insensitive_and_organization_ids(api_client):
    asha, ben = member(username="asha"), member(username="ben")
    UserFactory(username="ashaa")
    UserFactory(username="cat", department=asha.department)
    assert listed(api_client, {"username": "ASHA"}) == ["asha"]
    assert listed(api_client, {"department": asha.department.pk}) == ["asha", "cat"]
    assert listed(api_client, {"unit": ben.unit.pk}) == ["ben"]
    assert listed(api_client, {"designation": ben.designation.pk}) == ["ben"]
    assert listed(api_client, {"department": asha.department.pk, "unit": asha.unit.pk}) == ["asha"]
    assert listed(api_client, {"designation": 999999}) == []


def test_search_matches_username_and_full_name(api_client):
    UserFactory(username="zed", full_name="Priya Narang")
    UserFactory(username="narang_k", full_name="Kiran Mehta")
    UserFactory(username="other", full_name="Somebody Else")
    assert listed(api_client, {"search": "NARANG"}) == ["narang_k", "zed"]
    assert listed(api_client, {"search": "kiran"}) == ["narang_k"]


@pytest.mark.parametrize(
    "query",
    [
        *["department=abc", "unit=x", "designation=1x", "unit=NaN", "department={id}.5"],
        *["department=99999999999999999999", "designation=-1", "unit=1e400"],  # out of range: 500 on SQLite before
    ],
)
def test_malformed_filter_value_is_400_json(api_client, query):
    person = member()  # {id}.5 would be truncated to an existing department by a decimal filter
    response = api_client.get(f"{USERS}?{query.format(id=person.department.pk)}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [query.split("=")[0]]


# --- Pagination -----------------------------------------------------------------------------


def test_list_is_paginated_with_page_and_page_size(api_client):
    UserFactory.create_batch(25)
    names = sorted(User.objects.values_list("username", flat=True))
    first = api_client.get(USERS).json()
    second = api_client.get(USERS, {"page": 2}).json()
    small = api_client.get(USERS, {"page": 3, "page_size": 5}).json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["previous"] is None
    assert first["next"].endswith("?page=2")
    assert [row["username"] for row in second["results"]] == names[20:]
    assert second["next"] is None and second["previous"]
    assert [row["username"] for row in small["results"]] == names[10:15]


def test_page_size_is_capped_at_100_and_a_page_out_of_range_is_404_json(api_client):
    User.objects.bulk_create(User(username=f"u{n:03}", email=f"u{n}@example.org") for n in range(101))
    body = api_client.get(USERS, {"page_size": 1000}).json()
    assert (body["count"], len(body["results"])) == (101, 100)
    response = api_client.get(USERS, {"page": 999})
    assert response.status_code == 404
    assert "detail" in response.json()


# --- Changing a profile ----------------------------------------------------------------------


@pytest.mark.parametrize("editor", ["owner", "staff"])
def test_owner_or_staff_can_patch_profile_fields(client_for, editor):
    asha = UserFactory(username="asha", email="asha@example.org")
    client = client_for(asha if editor == "owner" else StaffFactory())
    response = client.patch(f"{USERS}{asha.pk}/", PROFILE | {"username": "Asha", "email": "ASHA@example.org"})
    assert response.status_code == 200, response.content
    asha.refresh_from_db()
    assert {name: getattr(asha, name) for name in PROFILE} == PROFILE
    assert (asha.username, asha.email) == ("Asha", "ASHA@example.org")  # a case change of one's own name is fine
    assert {name: response.json()[name] for name in PROFILE} == PROFILE


def test_staff_change_someone_elses_profile_only_with_the_change_user_permission(client_for, user):
    every = {f"accounts.{action}_user" for action in ("add", "change", "delete", "view")}
    for permissions in ([], every - {"accounts.change_user"}):
        response = client_for(StaffFactory(permissions=permissions)).patch(f"{USERS}{user.pk}/", {"about_me": "edited"})
        assert response.status_code == 403, response.content
        user.refresh_from_db()
        assert user.about_me != "edited"
    response = client_for(StaffFactory(permissions=["accounts.change_user"])).patch(
        f"{USERS}{user.pk}/", {"about_me": "edited"}
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.about_me == "edited"


def test_a_patch_of_the_values_there_are_writes_nothing(client_for, user):
    client = client_for(user)
    for _ in range(2):
        client.get("/api/feed/")  # whose the token is, then that person's row: both in the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"/api/users/{user.pk}/", {"about_me": user.about_me, "full_name": user.full_name})
    assert response.status_code == 200
    assert [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")] == []
    assert user.history.count() == 1  # the record of its creation only


def test_other_user_cannot_patch_profile(client_for, user):
    response = client_for(UserFactory()).patch(f"{USERS}{user.pk}/", {"about_me": "hacked"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.about_me != "hacked"


def test_patch_ignores_roles_and_flags(client_for, user):
    group = Group.objects.create(name="Admins")
    payload = {"is_staff": True, "is_superuser": True, "is_active": False, "groups": [group.pk]}
    payload |= {"password": "Other-pass-123", "employee_id": "E9", "id": 4242, "about_me": "still me"}
    response = client_for(user).patch(f"{USERS}{user.pk}/", payload)
    assert response.status_code == 200
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.is_staff, fresh.is_superuser, fresh.is_active, fresh.employee_id) == (False, False, True, None)
    assert not fresh.groups.exists()
    assert fresh.check_password("correct horse battery staple")
    assert fresh.about_me == "still me"


@pytest.mark.parametrize(("field", "value"), [*INVALID, ("username", "BEN"), ("email", "Ben@Example.org")])
def test_invalid_patch_is_400_and_changes_nothing(client_for, field, value):
    UserFactory(username="ben", email="ben@example.org")  # "BEN" and "Ben@Example.org" are taken in another case
    asha = UserFactory(username="asha", full_name="Asha Rao")
    client = client_for(asha)
    before = User.objects.values().get(pk=asha.pk)
    response = client.patch(f"{USERS}{asha.pk}/", {"full_name": "Changed", field: value})
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.values().get(pk=asha.pk) == before


# --- Who may do what -------------------------------------------------------------------------

ACTORS = ("anonymous", "other", "owner", "staff")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "", (200, 200, 200, 200)),
        ("get", "{id}/", (200, 200, 200, 200)),
        ("get", "me/", (401, 200, 200, 200)),
        ("post", "", (201, 201, 201, 201)),
        ("patch", "{id}/", (401, 403, 200, 200)),
        ("put", "{id}/", (401, 405, 405, 405)),
        ("delete", "{id}/", (401, 405, 405, 405)),
        ("get", "{id}/followers/", (200, 200, 200, 200)),
        ("get", "{id}/following/", (200, 200, 200, 200)),
    ],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_users_endpoint_permissions(client_for, actor, method, path, expected):
    owner = UserFactory()
    people = {"owner": owner, "other": UserFactory(), "staff": StaffFactory()}
    client = APIClient() if actor == "anonymous" else client_for(people[actor])
    payload = {"username": "newbie", "email": "newbie@example.org", "password": STRONG}
    payload = payload if method == "post" else {"about_me": "edited"} if method in ("patch", "put") else None
    response = getattr(client, method)(USERS + path.format(id=owner.pk), payload)
    assert response.status_code == expected[ACTORS.index(actor)]
    owner.refresh_from_db()
    assert (owner.about_me == "edited") == (method == "patch" and response.status_code == 200)


# --- Queries ----------------------------------------------------------------------------------


def test_user_list_runs_the_same_few_queries_for_1_and_50_people(client_for, django_assert_max_num_queries):
    viewer = member()
    PostFactory(author=viewer)
    client = client_for(viewer)
    counts = []
    for batch in (1, 49):  # 2 people, then 51: a full page of 50
        for person in [member() for _ in range(batch)]:
            PostFactory(author=person)
            FollowFactory(follower=person, followed=viewer)
            FollowFactory(follower=viewer, followed=person)
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(USERS, {"page_size": 50}).json()["results"]
        counts.append(len(queries))
        assert len(rows) == (2 if batch == 1 else 50)
        assert all(row["post_count"] and row["follower_count"] and row["following_count"] for row in rows)
        assert all(row["department"] and row["unit"] and row["designation"] for row in rows)
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(3):  # token lookup, count, page
        client.get(USERS, {"page_size": 50})


def test_a_profile_edit_reads_the_person_once_and_answers_with_what_it_saved(client_for, user):
    """The answer is the person read for the change (organization and counts), as saved: no second read."""
    PostFactory(author=user)
    client = client_for(user)
    for _ in range(2):  # whose the token is, then their row: both kept (tests/api/test_token_cache.py)
        assert client.get("/api/users/me/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"{USERS}{user.pk}/", {"about_me": "read once"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["about_me"] == "read once" and response.json()["post_count"] == 1
    table = f"FROM {connection.ops.quote_name(User._meta.db_table)}"
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and table in q["sql"]]
    assert len(reads) == 1, reads
    assert User.objects.get(pk=user.pk).about_me == "read once"
