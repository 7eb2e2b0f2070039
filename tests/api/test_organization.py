"""The organization API: /api/departments/, /api/units/, /api/cadres/, /api/designations/."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from organization.models import Cadre, Department, Designation, Unit
from tests.factories import CadreFactory, DepartmentFactory, DesignationFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = {"departments": Department, "units": Unit, "cadres": Cadre, "designations": Designation}


def url(resource, pk=None):
    return f"/api/{resource}/" + (f"{pk}/" if pk else "")


def assert_json(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def org():
    """One free object of each kind (nothing blocks deleting it) and what a write can point to."""
    cadre = CadreFactory(name="Faculty")
    department = DepartmentFactory(name="Surgery")
    return {
        "departments": DepartmentFactory(name="Anaesthesiology"),
        "units": UnitFactory(name="RPC Unit 1", department=department),
        "cadres": CadreFactory(name="Nursing"),
        "designations": DesignationFactory(name="Professor", cadre=cadre),
        "department": department,
        "cadre": cadre,
        "heads": UserFactory.create_batch(2),
    }


def payload(resource, org, name):
    heads = [u.pk for u in org["heads"]]
    return {
        "departments": {"name": name, "abbr": "N", "kind": "center", "heads": heads},
        "units": {"name": name, "abbr": "N", "department": org["department"].pk, "heads": heads},
        "cadres": {"name": name},
        "designations": {"name": name, "abbr": "N", "cadre": org["cadre"].pk},
    }[resource]


ROLES = ("anonymous", "user", "staff without permissions", "staff")
MATRIX = {
    ("get", False): (401, 200, 200, 200),
    ("get", True): (401, 200, 200, 200),
    ("post", False): (401, 403, 403, 201),
    ("put", True): (401, 403, 403, 200),
    ("patch", True): (401, 403, 403, 200),
    ("delete", True): (401, 403, 403, 204),
}
PEOPLE = {
    "user": UserFactory,
    "staff without permissions": lambda: StaffFactory(permissions=[]),
    "staff": StaffFactory,
}


def check_write(client, resource, org, obj, method, status):
    """Send the request (to the object's URL, or the list's for None).

    The object changes (is made, renamed, deleted) exactly when that is allowed.
    """
    model = MODELS[resource]
    before = model.objects.count()
    data = payload(resource, org, "Renamed") if method in ("post", "put", "patch") else None
    response = getattr(client, method)(url(resource, obj and obj.pk), data)
    assert response.status_code == status, response.content
    if status != 204:
        assert response["Content-Type"] == "application/json"
    assert model.objects.filter(name="Renamed").exists() == (status in (200, 201) and method != "get")
    assert model.objects.count() == before + (status == 201) - (status == 204)


@pytest.mark.parametrize("resource", MODELS)
@pytest.mark.parametrize(
    ("method", "detail", "role", "status"),
    [(*key, role, status) for key, statuses in MATRIX.items() for role, status in zip(ROLES, statuses, strict=True)],
)
def test_who_may_do_what_with_the_organization(api_client, client_for, org, resource, method, detail, role, status):
    client = api_client if role == "anonymous" else client_for(PEOPLE[role]())
    check_write(client, resource, org, org[resource] if detail else None, method, status)


ACTIONS = {"post": ("add", 201), "put": ("change", 200), "patch": ("change", 200), "delete": ("delete", 204)}


@pytest.mark.parametrize("resource", MODELS)
@pytest.mark.parametrize("method", ACTIONS)
def test_a_staff_write_needs_that_models_permission_for_that_action(client_for, org, resource, method):
    """As in the admin: "add" for POST, "change" for PUT/PATCH, "delete" for DELETE, of that very model."""
    action, status = ACTIONS[method]
    needed = f"organization.{action}_{MODELS[resource]._meta.model_name}"
    every = {f"organization.{p.codename}" for p in Permission.objects.filter(content_type__app_label="organization")}
    obj = None if method == "post" else org[resource]
    everything_else = client_for(StaffFactory(permissions=every - {needed}))
    check_write(everything_else, resource, org, obj, method, 403)
    check_write(client_for(StaffFactory(permissions=[needed])), resource, org, obj, method, status)


def test_a_superuser_who_is_not_staff_reads_but_does_not_write(client_for, org):
    """Staff status is what lets one change data (the admin's gate too); a superuser without it only reads."""
    client = client_for(UserFactory(is_superuser=True))
    check_write(client, "cadres", org, org["cadres"], "get", 200)
    check_write(client, "cadres", org, None, "post", 403)


def test_department_shows_its_units_and_heads(client_for, user):
    department = DepartmentFactory(name="Surgery", abbr="SUR", kind=Department.Kind.CENTER)
    unit = UnitFactory(name="Unit 1", abbr="U-1", department=department)
    head = UserFactory(username="asha")
    department.heads.add(head)
    data = assert_json(client_for(user).get(url("departments", department.pk)), 200)
    assert data == {
        "id": department.pk,
        "name": "Surgery",
        "abbr": "SUR",
        "kind": "center",
        "units": [{"id": unit.pk, "name": "Unit 1", "abbr": "U-1"}],
        "heads": [{"id": head.pk, "username": "asha"}],
    }


def test_unit_and_designation_are_written_with_ids_and_shown_nested(client_for, staff, org):
    client, department, heads = client_for(staff), org["department"], org["heads"]
    unit = assert_json(client.post(url("units"), payload("units", org, "ICU")), 201)
    assert unit["department"] == {"id": department.pk, "name": department.name, "abbr": department.abbr}
    assert sorted(unit["heads"], key=lambda h: h["id"]) == [{"id": u.pk, "username": u.username} for u in heads]
    assert set(Unit.objects.get(name="ICU").heads.all()) == set(heads)
    designation = assert_json(client.post(url("designations"), payload("designations", org, "Tutor")), 201)
    assert designation["cadre"] == {"id": org["cadre"].pk, "name": "Faculty"}
    cleared = assert_json(client.patch(url("units", unit["id"]), {"heads": []}), 200)
    assert cleared["heads"] == []
    assert not Unit.objects.get(name="ICU").heads.exists()


@pytest.mark.parametrize(
    ("resource", "field", "value"),
    [
        ("units", "department", 999999),
        ("units", "department", "abc"),
        ("units", "heads", [999999]),
        ("departments", "heads", ["abc"]),
        ("departments", "kind", "bogus"),
        ("departments", "name", "x" * 51),
        ("designations", "cadre", None),
        ("designations", "cadre", 999999),
        ("cadres", "name", ""),
    ],
)
def test_invalid_write_is_a_400_and_nothing_is_created(client_for, staff, org, resource, field, value):
    before = MODELS[resource].objects.count()
    data = payload(resource, org, "New") | {field: value}
    assert field in assert_json(client_for(staff).post(url(resource), data), 400)
    assert MODELS[resource].objects.count() == before


@pytest.mark.parametrize("resource", MODELS)
def test_duplicate_name_is_a_400_on_create_and_on_rename(client_for, staff, org, resource):
    client, taken = client_for(staff), org[resource].name
    assert "name" in assert_json(client.post(url(resource), payload(resource, org, taken)), 400)
    assert MODELS[resource].objects.filter(name=taken).count() == 1
    other = assert_json(client.post(url(resource), payload(resource, org, "Other")), 201)
    assert "name" in assert_json(client.patch(url(resource, other["id"]), {"name": taken}), 400)
    assert "name" in assert_json(client.put(url(resource, other["id"]), payload(resource, org, taken)), 400)
    assert MODELS[resource].objects.get(pk=other["id"]).name == "Other"


def test_filters_units_by_department_designations_by_cadre_departments_by_kind(client_for, user, org):
    client = client_for(user)
    UnitFactory(department=DepartmentFactory(name="Trauma Center", kind=Department.Kind.CENTER))
    DesignationFactory()

    def names(resource, **params):
        return [row["name"] for row in assert_json(client.get(url(resource), params), 200)["results"]]

    assert names("units", department=org["department"].pk) == ["RPC Unit 1"]
    assert names("designations", cadre=org["cadre"].pk) == ["Professor"]
    assert names("departments", kind="department") == ["Anaesthesiology", "Surgery"]
    assert names("departments", kind="center") == ["Trauma Center"]
    assert names("cadres", search="nurs") == ["Nursing"]


@pytest.mark.parametrize(
    ("resource", "params"),
    [("units", {"department": "abc"}), ("designations", {"cadre": "abc"}), ("departments", {"kind": "bogus"})],
)
def test_malformed_filter_is_a_400_in_json(client_for, user, resource, params):
    assert set(assert_json(client_for(user).get(url(resource), params), 400)) == set(params)


@pytest.mark.parametrize("resource", MODELS)
def test_unknown_id_is_a_404_in_json(client_for, staff, resource):
    for method in ("get", "put", "patch", "delete"):
        assert "detail" in assert_json(getattr(client_for(staff), method)(url(resource, 999999), {}), 404)


def test_cadre_with_designations_is_a_409_naming_them_and_nothing_changes(client_for, staff):
    cadre = CadreFactory()
    designations = DesignationFactory.create_batch(2, cadre=cadre)
    data = assert_json(client_for(staff).delete(url("cadres", cadre.pk)), 409)
    assert data["detail"]
    assert data["blocked_by"] == {"designation": sorted(d.pk for d in designations)}
    assert Designation.objects.filter(cadre=cadre).count() == 2


def test_designation_held_by_people_is_a_409_naming_them_and_nothing_changes(client_for, staff):
    designation = DesignationFactory()
    holders = UserFactory.create_batch(2, designation=designation)
    data = assert_json(client_for(staff).delete(url("designations", designation.pk)), 409)
    assert data["detail"]
    assert data["blocked_by"] == {"user": sorted(u.pk for u in holders)}
    assert User.objects.filter(designation=designation).count() == 2


def test_deleting_a_department_takes_its_units_and_detaches_its_people(client_for, staff):
    department, elsewhere = DepartmentFactory(), UnitFactory()
    units = UnitFactory.create_batch(2, department=department)
    member = UserFactory(department=department, unit=units[0])
    head = UserFactory(department=elsewhere.department, unit=elsewhere)
    department.heads.add(head)
    units[1].heads.add(head)
    assert client_for(staff).delete(url("departments", department.pk)).status_code == 204
    assert list(Unit.objects.all()) == [elsewhere]
    member.refresh_from_db()
    head.refresh_from_db()
    assert (member.department, member.unit) == (None, None)
    assert (head.department, head.unit) == (elsewhere.department, elsewhere)


def test_deleting_a_unit_keeps_its_people_in_the_department(client_for, staff):
    unit = UnitFactory()
    member = UserFactory(department=unit.department, unit=unit)
    assert client_for(staff).delete(url("units", unit.pk)).status_code == 204
    member.refresh_from_db()
    assert (member.department, member.unit) == (unit.department, None)


def test_moving_a_unit_to_another_department_keeps_its_people_consistent(client_for, staff):
    unit, target = UnitFactory(), DepartmentFactory()
    member = UserFactory(department=unit.department, unit=unit)
    response = client_for(staff).patch(url("units", unit.pk), {"department": target.pk})
    member.refresh_from_db()
    assert response.status_code == 400 or member.department == target


def build(resource, count):
    """`count` realistic rows: departments with units and heads, units with heads, designations across cadres."""
    heads = UserFactory.create_batch(3)
    cadres = CadreFactory.create_batch(3) if resource == "designations" else []
    for n in range(count):
        if resource == "departments":
            department = DepartmentFactory()
            UnitFactory.create_batch(2, department=department)
            department.heads.set(heads[: n % 3 + 1])
        elif resource == "units":
            UnitFactory().heads.set(heads[: n % 3 + 1])
        elif resource == "designations":
            DesignationFactory(cadre=cadres[n % 3])
        else:
            CadreFactory()


# token, count, page (+ prefetches): departments load units and heads, units their heads.
QUERIES = {"departments": 5, "units": 4, "cadres": 3, "designations": 3}


@pytest.mark.parametrize("resource", MODELS)
def test_lists_run_a_fixed_number_of_queries(client_for, user, resource, django_assert_max_num_queries):
    client, list_url = client_for(user), url(resource) + "?page_size=50"
    counts = []
    for total in (1, 50):
        build(resource, total - MODELS[resource].objects.count())
        with CaptureQueriesContext(connection) as queries:
            assert len(assert_json(client.get(list_url), 200)["results"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(QUERIES[resource]):
        client.get(list_url)
