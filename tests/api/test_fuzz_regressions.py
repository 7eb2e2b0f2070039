"""What the fuzzing run (.ci/fuzz, schemathesis against the running API) found: each bug, pinned.

Every test goes through the test client to the real database, as the fuzzer's requests did.
"""

import json

import pytest
from django.db import IntegrityError, connection, transaction
from jsonschema import Draft202012Validator, FormatChecker

from accounts.models import User
from organization.models import Cadre, Department, Designation, Unit
from tests.factories import CadreFactory, DepartmentFactory, DesignationFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCHABLE_LISTS = ("users", "posts", "departments", "units", "cadres", "designations")
DOTTED_CAPITAL_I = "\u0130"  # lower-cases to "i" on PostgreSQL, but upper-cases to itself
KELVIN_SIGN = "\u212a"  # lower-cases to "k", but upper-cases to itself


@pytest.fixture
def staff_client(client_for):
    return client_for(StaffFactory())


def assert_json_object(response, status) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict), body
    return body


# --- 400 answers are objects, as the schema says -----------------------------------------------------


@pytest.mark.parametrize("resource", SEARCHABLE_LISTS)
def test_nul_character_in_search_is_a_400_object_not_a_bare_list(staff_client, resource):
    # DRF's search filter raised ValidationError("Null characters are not allowed.") → a JSON list.
    body = assert_json_object(staff_client.get(f"/api/{resource}/", {"search": "a\x00b"}), 400)
    assert body == {"non_field_errors": ["Null characters are not allowed."]}


def test_username_taken_under_the_database_lowercase_is_a_400_without_django_all_key(api_client):
    UserFactory(username="vikram")
    response = api_client.post(
        "/api/users/",
        {"username": f"vi{KELVIN_SIGN}ram", "email": "vk@example.org", "password": "a long passphrase 42"},
    )
    # The model's LOWER(username) constraint refuses it (after Django's NFKC normalization of usernames):
    # Django names that error "__all__", the API's 400 says non_field_errors (or the field).
    body = assert_json_object(response, 400)
    assert "__all__" not in body
    assert "A user with that username already exists." in [*body.get("username", []), *body.get("non_field_errors", [])]


# --- names unique in any letter case: checked as the unique index does (LOWER), so never a 500 --------


def _create_payload(resource: str) -> dict:
    return {
        "cadres": lambda: {},
        "departments": lambda: {"kind": "center"},
        "units": lambda: {"abbr": "U", "department": DepartmentFactory().pk},
        "designations": lambda: {"abbr": "D", "cadre": CadreFactory().pk},
    }[resource]()


NAME_CLASHES = [
    # resource, model, factory, existing name, name equal to it only under LOWER()
    ("cadres", Cadre, CadreFactory, "Resident", f"Res{DOTTED_CAPITAL_I}dent"),
    ("departments", Department, DepartmentFactory, "Anaesthesiology", f"Anaesthes{DOTTED_CAPITAL_I}ology"),
    ("units", Unit, UnitFactory, "Kids Unit", f"{KELVIN_SIGN}ids Unit"),
    ("designations", Designation, DesignationFactory, "Senior Resident", f"Sen{DOTTED_CAPITAL_I}or Resident"),
]


class _Rollback(Exception):
    pass


def database_refuses(factory, name: str) -> bool:
    """Whether the database's own unique index refuses a second row called `name` (then rolls back).

    PostgreSQL's LOWER() folds these letters, SQLite's folds ASCII only, MariaDB compares by collation:
    the API must agree with whichever database it runs on, and never answer 500.
    """
    try:
        with transaction.atomic():
            factory(name=name)
            raise _Rollback
    except IntegrityError:
        return True
    except _Rollback:
        return False


def assert_agrees_with_the_database(response, model, refused: bool, created_status: int):
    """A name the database refuses is a 400 with the name's message (never a 500, as before the fix).

    A name it accepts may still be refused: on MariaDB, LOWER() folds "İ" where the collation does not.
    """
    if connection.vendor == "postgresql":
        assert refused  # the clash this test is about: PostgreSQL's LOWER() folds these letters
    if response.status_code == created_status and not refused:
        return
    body = assert_json_object(response, 400)
    assert body == {"name": [f"A {model._meta.verbose_name} with that name already exists."]}


@pytest.mark.parametrize(("resource", "model", "factory", "existing", "clash"), NAME_CLASHES)
def test_create_with_a_name_equal_under_lowercase_is_a_400_not_a_500(
    staff_client, resource, model, factory, existing, clash
):
    factory(name=existing)
    refused = database_refuses(factory, clash)
    response = staff_client.post(f"/api/{resource}/", {"name": clash, **_create_payload(resource)})
    assert_agrees_with_the_database(response, model, refused, 201)
    assert model.objects.count() == (2 if response.status_code == 201 else 1)


@pytest.mark.parametrize(("resource", "model", "factory", "existing", "clash"), NAME_CLASHES)
def test_rename_to_a_name_equal_under_lowercase_is_a_400_not_a_500(
    staff_client, resource, model, factory, existing, clash
):
    factory(name=existing)
    other = factory(name="Something else")
    refused = database_refuses(factory, clash)
    response = staff_client.patch(f"/api/{resource}/{other.pk}/", {"name": clash})
    assert_agrees_with_the_database(response, model, refused, 200)
    other.refresh_from_db()
    assert other.name == (clash if response.status_code == 200 else "Something else")


def test_renaming_keeps_its_own_name_in_another_case(staff_client):
    cadre = CadreFactory(name="Resident")
    response = staff_client.patch(f"/api/cadres/{cadre.pk}/", {"name": "RESIDENT"})
    assert assert_json_object(response, 200)["name"] == "RESIDENT"


# --- a person's answer matches the served schema -------------------------------------------------------


def _as_json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable: true` becomes "or null"; readOnly/writeOnly are dropped."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _as_json_schema(v) for k, v in node.items() if k not in ("nullable", "readOnly", "writeOnly")}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def _response_validator(api_client, path: str, method: str = "get") -> Draft202012Validator:
    schema = json.loads(api_client.get("/api/schema/", {"format": "json"}).content)
    body = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    root = {**_as_json_schema(body), "components": _as_json_schema(schema["components"])}
    return Draft202012Validator(root, format_checker=FormatChecker())


def _violations(validator, data) -> list[str]:
    return sorted(
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(data)
    )


@pytest.mark.parametrize(("path", "url"), [("/api/users/{id}/", "/api/users/{pk}/"), ("/api/users/me/", None)])
def test_never_seen_person_without_other_emails_matches_the_schema(api_client, client_for, path, url):
    staff = StaffFactory(email2="", email3="")  # staff see the contact fields
    client = client_for(staff)
    person = UserFactory(email2="", email3="") if url else staff
    User.objects.filter(pk=person.pk).update(last_seen=None)  # never seen
    response = client.get(url.format(pk=person.pk) if url else path)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["last_seen"], data["email2"], data["email3"]) == (None, "", "")
    assert _violations(_response_validator(api_client, path), data) == []


def test_list_of_people_never_seen_matches_the_schema(api_client, client_for):
    client = client_for(StaffFactory())
    UserFactory.create_batch(2, email2="", email3="")
    data = client.get("/api/users/").json()
    assert None in [person["last_seen"] for person in data["results"]]
    assert _violations(_response_validator(api_client, "/api/users/"), data) == []


def test_a_profile_change_keeps_a_department_deleted_meanwhile_detached(user):
    """Found by the fuzzer (a 500): PATCH saved the whole stale row, department_id included, after a
    concurrent delete had detached the person (SET_NULL): a foreign key violation. Now only the changed
    fields are written."""
    from accounts.models import User
    from accounts.services import user_update
    from organization.models import Department
    from tests.factories import DepartmentFactory

    department = DepartmentFactory()
    User.objects.filter(pk=user.pk).update(department=department)
    stale = User.objects.get(pk=user.pk)  # loaded with department_id, as the API view loads it
    Department.objects.filter(pk=department.pk).delete()  # meanwhile: detaches the person
    user_update(user=stale, about_me="Changed")
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.about_me, fresh.department_id) == ("Changed", None)


def test_a_write_that_loses_a_race_at_a_constraint_is_a_409_not_a_500():
    from django.db import IntegrityError

    from core.api import CONCURRENT_CHANGE, exception_handler

    response = exception_handler(IntegrityError("duplicate key value violates unique constraint"), {})
    assert response.status_code == 409
    assert response.data == {"detail": CONCURRENT_CHANGE}
