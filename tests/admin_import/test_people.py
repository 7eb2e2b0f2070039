"""Importing and exporting people in the admin: preview, bad rows by number, nothing written, re-import."""

import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import User
from accounts.resources import UserResource
from tests.admin_import.helpers import confirm, dry_run, export, imported, invalid_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = "people.csv"
SAMPLE_USERNAMES = ["arjun", "karan", "leela", "priya", "sana"]


def people():
    return list(User.objects.exclude(username__in=["admin", "asha"]).order_by("username"))


def test_preview_lists_every_row_as_new_and_writes_nothing(admin_client, organization):
    response = dry_run(admin_client, User, SAMPLE)

    rows = response.context["result"].valid_rows()
    assert [row.import_type for row in rows] == ["new"] * 5
    assert response.context["confirm_form"]
    assert "Confirm import" in response.content.decode()
    assert people() == []


def test_confirmed_import_creates_people_with_their_organization(admin_client, admin_user, organization):
    response = imported(admin_client, User, SAMPLE)

    assert response.url.endswith("/admin/accounts/user/")
    by_name = {u.username: u for u in people()}
    assert sorted(by_name) == SAMPLE_USERNAMES
    priya = by_name["priya"]
    assert (priya.department.name, priya.unit.name, priya.designation.name) == (
        "Dr RP Center for Ophthalmic Sciences",
        "RPC Unit 1",
        "Professor",
    )
    assert (priya.employee_id, priya.mobile, priya.office_address) == (
        "E1001",
        "+91 98100 12345",
        "Room 12, 3rd floor, RPC",
    )
    assert by_name["leela"].department.name == "Dr RP Center for Ophthalmic Sciences"  # the unit implies it
    assert by_name["karan"].employee_id is None  # an empty cell is "no employee id", not ""
    assert all(not u.has_usable_password() and u.created_by == admin_user for u in by_name.values())
    assert LogEntry.objects.filter(user=admin_user).count() == 5


def test_import_records_history_by_the_importing_admin(admin_client, admin_user, organization):
    imported(admin_client, User, SAMPLE)

    records = User.history.filter(username__in=SAMPLE_USERNAMES)
    assert records.count() == 5
    assert {(r.history_type, r.history_user, r.history_change_reason) for r in records} == {
        ("+", admin_user, "Imported from people.csv")
    }


def test_importing_the_same_file_again_changes_nothing(admin_client, organization):
    imported(admin_client, User, SAMPLE)
    before = [(u.pk, u.email, u.department_id, u.unit_id, u.employee_id) for u in people()]
    history = User.history.count()

    preview = dry_run(admin_client, User, SAMPLE)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["skip"] * 5
    response = confirm(admin_client, User, preview)

    assert response.status_code == 302
    assert [(u.pk, u.email, u.department_id, u.unit_id, u.employee_id) for u in people()] == before
    assert User.history.count() == history


def test_a_changed_row_updates_that_person_only_matched_in_any_letter_case(admin_client, admin_user, organization):
    imported(admin_client, User, SAMPLE)
    changed = (
        b"username,email,designation\n"
        b"PRIYA,priya@example.org,Additional Professor\n"
        b"arjun,arjun@example.org,Senior Resident\n"
    )

    preview = dry_run(admin_client, User, "change.csv", changed)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["update", "skip"]
    confirm(admin_client, User, preview)

    priya = User.objects.get(username="priya")  # the stored spelling stays
    assert priya.designation.name == "Additional Professor"
    latest = priya.history.first()
    assert (latest.history_type, latest.history_user) == ("~", admin_user)
    assert latest.diff_against(latest.prev_record).changed_fields == ["designation"]


BAD_ROWS = [
    ("unknown_department.csv", 3, "Unknown department 'Cardiology'."),
    ("unknown_unit.csv", 3, "Unknown unit 'RPC Unit 99'."),
    ("unit_of_another_department.csv", 3, "This unit belongs to another department."),
    ("duplicate_username.csv", 3, "Username 'OK1' is also in row 1."),
    ("duplicate_email.csv", 3, "Email address 'OK1@EXAMPLE.ORG' is also in row 1."),
    ("duplicate_employee_id.csv", 3, "Employee id 'E1' is also in row 1."),
    ("email_taken.csv", 3, "A user with that email address already exists."),
    ("employee_id_taken.csv", 3, "User with this Employee id already exists."),
    ("bad_email.csv", 3, "Enter a valid email address."),
    ("bad_mobile.csv", 3, "Enter a phone number of 7 to 20 digits"),
    ("missing_email.csv", 3, "This field cannot be blank."),
    ("missing_username.csv", 2, "This field cannot be blank."),
]


@pytest.mark.parametrize(("name", "row", "message"), BAD_ROWS, ids=[b[0].removesuffix(".csv") for b in BAD_ROWS])
def test_a_bad_row_is_reported_by_number_and_nothing_is_written(admin_client, asha, name, row, message):
    count = User.objects.count()

    response = dry_run(admin_client, User, name)

    bad = invalid_rows(response)
    assert list(bad) == [row]
    assert any(text.startswith(message) for text in bad[row]), bad
    assert "confirm_form" not in response.context  # nothing can be confirmed
    content = response.content.decode()
    assert f"<td>{row} </td>" in content  # the row number column of the error table
    assert message.replace("'", "&#x27;") in content
    assert User.objects.count() == count
    assert not User.history.exclude(username__in=["admin", "asha"]).exists()


def test_every_bad_row_is_reported_not_only_the_first(admin_client, asha):
    content = (
        b"username,email,department,unit,mobile\n"
        b"one,one@example.org,Cardiology,,\n"
        b"two,two@example.org,,,12\n"
        b"three,three@example.org,,,\n"
        b"one,asha@example.org,,,\n"
    )

    bad = invalid_rows(dry_run(admin_client, User, "many.csv", content))

    assert sorted(bad) == [1, 2, 4]
    assert bad[1] == ["Unknown department 'Cardiology'."]
    assert bad[2][0].startswith("Enter a phone number")
    assert set(bad[4]) == {"Username 'one' is also in row 1.", "A user with that email address already exists."}


def test_a_conflict_that_appears_after_the_preview_writes_nothing(admin_client, organization):
    preview = dry_run(admin_client, User, SAMPLE)
    User.objects.create_user(username="someone", email="sana@example.org")  # meanwhile, elsewhere

    response = confirm(admin_client, User, preview)

    assert response.status_code == 302
    assert response.url.endswith("/admin/accounts/user/import/")
    assert people() == [User.objects.get(username="someone")]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Nothing was imported. row 5: A user with that email address already exists."]


def test_xlsx_export_then_import_round_trips(admin_client, organization):
    imported(admin_client, User, SAMPLE)
    before = {u.username: UserResource().export_resource(u) for u in people()}
    xlsx = export(admin_client, User, UserResource, "xlsx")

    preview = dry_run(admin_client, User, "people.xlsx", xlsx)
    assert {row.import_type for row in preview.context["result"].valid_rows()} == {"skip"}  # admin and asha too

    User.objects.filter(username__in=SAMPLE_USERNAMES).delete()
    imported(admin_client, User, "people.xlsx", xlsx)
    assert {u.username: UserResource().export_resource(u) for u in people()} == before


def test_csv_export_has_the_organization_by_name(admin_client, organization):
    imported(admin_client, User, SAMPLE)

    csv = export(admin_client, User, UserResource, "csv").decode()

    header, *lines = csv.splitlines()
    assert header.split(",")[:9] == [
        "username",
        "email",
        "full_name",
        "first_name",
        "last_name",
        "employee_id",
        "department",
        "unit",
        "designation",
    ]
    assert any(line.startswith("priya,priya@example.org,Priya Raman,Priya,Raman,E1001,Dr RP Center") for line in lines)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_text_a_spreadsheet_would_run_is_exported_inert_and_imports_back_as_it_was(
    admin_client, organization, file_format
):
    UserFactory(
        username="mallory",
        full_name='=HYPERLINK("http://x.example","hi")',
        about_me="@SUM(1)",
        mobile="+91 98100 12345",
    )
    content = export(admin_client, User, UserResource, file_format)

    if file_format == "csv":
        row = next(line for line in content.decode().splitlines() if line.startswith("mallory,"))
        assert "'=HYPERLINK" in row and "'@SUM(1)" in row and ",+91 98100 12345," in row
    preview = dry_run(admin_client, User, f"people.{file_format}", content)
    assert {row.import_type for row in preview.context["result"].valid_rows()} == {"skip"}  # nothing differs
