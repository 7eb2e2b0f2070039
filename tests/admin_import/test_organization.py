"""Importing and exporting departments, units, cadres and designations in the admin."""

import pytest
from django.contrib.auth.models import Group

from organization.models import Cadre, Department, Designation, Unit
from organization.resources import CadreResource, DepartmentResource, DesignationResource, UnitResource
from tests.admin_import.helpers import confirm, dry_run, export, imported, invalid_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESOURCES = {Department: DepartmentResource, Unit: UnitResource, Cadre: CadreResource, Designation: DesignationResource}


def import_types(response) -> list[str]:
    return [row.import_type for row in response.context["result"].valid_rows()]


def test_departments_import_and_a_second_import_changes_nothing(admin_client, admin_user, organization):
    imported(admin_client, Department, "departments.csv")

    annex = Department.objects.get(name="Dr RP Centre Annex")
    assert (annex.abbr, annex.kind) == ("Annex", Department.Kind.CENTER)
    assert annex.history.get().history_user == admin_user
    history = Department.history.count()

    preview = dry_run(admin_client, Department, "departments.csv")
    assert import_types(preview) == ["skip", "skip"]
    confirm(admin_client, Department, preview)
    assert Department.history.count() == history


def test_units_name_their_department_and_designations_their_cadre(admin_client, organization):
    imported(admin_client, Department, "departments.csv")
    imported(admin_client, Unit, "units.csv")
    imported(admin_client, Cadre, "cadres.csv")
    preview = dry_run(admin_client, Designation, "designations.csv")
    assert import_types(preview) == ["new", "skip"]  # Professor is already there, unchanged
    confirm(admin_client, Designation, preview)

    assert Unit.objects.get(name="Cath Lab").department.name == "Cardiology"
    assert Designation.objects.get(name="Optometrist").cadre.name == "Paramedical"


def test_a_unit_moved_by_import_takes_its_people_along(admin_client, organization):
    unit = Unit.objects.get(name="RPC Unit 1")
    member = UserFactory(department=unit.department, unit=unit)

    imported(admin_client, Unit, "moved.csv", b"name,abbr,department\nRPC Unit 1,U-1,Anaesthesiology\n")

    member.refresh_from_db()
    assert (member.unit.name, member.department.name) == ("RPC Unit 1", "Anaesthesiology")


BAD_ROWS = [
    (Department, "departments_duplicate_name.csv", 2, "Name 'CARDIOLOGY' is also in row 1."),
    (Department, "departments_bad_kind.csv", 1, "Value 'ward' is not a valid choice."),
    (Unit, "units_unknown_department.csv", 2, "Unknown department 'Cardiology'."),
    (Unit, "units_missing_department.csv", 2, "This field cannot be null."),
    (Designation, "designations_unknown_cadre.csv", 2, "Unknown cadre 'Teaching'."),
]


@pytest.mark.parametrize(
    ("model", "name", "row", "message"), BAD_ROWS, ids=[b[1].removesuffix(".csv") for b in BAD_ROWS]
)
def test_a_bad_row_is_reported_by_number_and_nothing_is_written(admin_client, organization, model, name, row, message):
    count, history = model.objects.count(), model.history.count()

    response = dry_run(admin_client, model, name)

    assert invalid_rows(response) == {row: [message]}
    assert "confirm_form" not in response.context
    assert (model.objects.count(), model.history.count()) == (count, history)


@pytest.mark.parametrize("model", list(RESOURCES), ids=lambda m: m.__name__)
def test_xlsx_export_then_import_changes_nothing(admin_client, organization, model):
    xlsx = export(admin_client, model, RESOURCES[model], "xlsx")

    preview = dry_run(admin_client, model, "export.xlsx", xlsx)

    assert set(import_types(preview)) == {"skip"}
    assert len(import_types(preview)) == model.objects.count()


def test_import_and_export_need_permissions(client, organization):
    clerk = UserFactory(is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/organization/unit/import/").status_code == 403
    assert client.get("/admin/organization/unit/export/").status_code == 403

    clerk.groups.add(Group.objects.get(name="Directory editors"))
    assert client.get("/admin/organization/unit/import/").status_code == 200
    assert client.get("/admin/organization/unit/export/").status_code == 200
