"""`import_flask staff`: the staff directory's organization, people, accounts, roles and heads."""

import datetime

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from organization.models import Cadre, Department, Designation, Unit
from organization.services import reference_organization_load
from tests.factories import UserFactory
from tests.flask_import.helpers import counts, import_flask, snapshot
from tests.flask_import.sources import (
    REFERENCE_CADRES,
    REFERENCE_DEPARTMENTS,
    REFERENCE_DESIGNATIONS,
    REFERENCE_ROLES,
    REFERENCE_UNITS,
    StaffSource,
    naive,
    realistic_staff,
    utc,
)


def imported(staff, *options):
    run = import_flask("staff", staff.url, *options)
    assert run.returncode == 0, run
    return run


def test_the_reference_organization_of_users_sql_is_imported(staff):
    staff.reference_rows()

    imported(staff)

    departments = {d.name: (d.name, d.abbr, d.kind) for d in Department.objects.all()}
    assert set(departments.values()) == set(REFERENCE_DEPARTMENTS.values())
    rpc = Department.objects.get(abbr="RPC")
    assert {(u.name, u.abbr) for u in Unit.objects.all()} == set(REFERENCE_UNITS.values())
    assert set(Unit.objects.values_list("department", flat=True)) == {rpc.pk}
    assert set(Cadre.objects.values_list("name", flat=True)) == set(REFERENCE_CADRES.values())
    designations = {(d.name, d.abbr, d.cadre.name) for d in Designation.objects.select_related("cadre")}
    assert designations == {
        (name, abbr, REFERENCE_CADRES[cadre]) for name, abbr, cadre in REFERENCE_DESIGNATIONS.values()
    }
    assert set(Group.objects.values_list("name", flat=True)) == set(REFERENCE_ROLES.values())


@pytest.mark.parametrize(
    ("source_type", "kind"),
    [
        ("CENTER", "center"),
        ("center", "center"),
        ("Center", "center"),
        ("Department", "department"),
        ("DEPARTMENT", "department"),
        ("department", "department"),
    ],
)
def test_the_department_type_becomes_its_kind_in_any_letter_case(staff, source_type, kind):
    staff.department("Ophthalmology", "Ophth", source_type)

    imported(staff)

    assert Department.objects.get().kind == kind


def test_a_person_and_their_account_become_one_user(staff):
    realistic_staff(staff)

    imported(staff)

    asha = User.objects.get(username="asha")
    assert asha.full_name == "Asha Verma"
    assert asha.employee_id == "E1001"
    assert asha.email == "asha@aiims.example"
    assert (asha.mobile, asha.mobile2, asha.mobile3) == ("+91 98100 11111", "011-2659 3000", "")
    assert (asha.email2, asha.email3) == ("asha.verma@gmail.example", "")
    assert asha.office_address == "Room 12, 1st floor, RP Centre"
    assert asha.department.name == "Dr RP Center for Ophthalmic Sciences"
    assert asha.unit.name == "Unit I"
    assert asha.designation.name == "Professor"
    assert asha.date_joined == utc(2020, 1, 15, 9, 30, 0)
    # Active: the source's inactive_date got the server's default (now()) and means nothing.
    assert asha.is_active and asha.deactivated_at is None and asha.deactivated_by is None
    ravi = User.objects.get(username="ravik")
    assert (ravi.full_name, ravi.email, ravi.mobile) == ("Ravi Kumar", "ravi.kumar@aiims.example", "9810022222")
    assert ravi.unit.name == "Unit II"
    assert User.objects.count() == 4  # Asha, Ravi, Meena, and Kiran who has no account


def test_a_deactivated_person_keeps_when_and_by_whom(staff):
    realistic_staff(staff)

    imported(staff)

    meena = User.objects.get(username="meena")
    assert meena.is_active is False
    assert meena.deactivated_at == utc(2023, 12, 31, 17, 0, 0)
    assert meena.deactivated_by == User.objects.get(username="ravik")


def test_a_person_whose_account_alone_was_deactivated_keeps_when_and_by_whom(staff):
    """The directory deactivated the account, not the person's row (whose inactive_date is the server's default,
    the time the row was made): the person here is inactive, since when and by whom the account says."""
    ids = realistic_staff(staff)
    person = staff.person("Lata Pai", "lata@aiims.example", employee_id="E7", department=1, designation=1)
    staff.account(person, "lata", inactive=1, inactive_date=naive(2024, 5, 6, 7, 8, 9), inactive_by=ids["asha_account"])

    imported(staff)

    lata = User.objects.get(username="lata")
    assert lata.is_active is False
    assert lata.deactivated_at == utc(2024, 5, 6, 7, 8, 9)
    assert lata.deactivated_by == User.objects.get(username="asha")


def test_created_by_is_the_person_of_that_account(staff):
    realistic_staff(staff)

    imported(staff)

    asha = User.objects.get(username="asha")
    ravi = User.objects.get(username="ravik")
    assert ravi.created_by == asha
    assert User.objects.get(username="meena").created_by == asha
    assert User.objects.get(email__iexact="kiran.rao@aiims.example").created_by == ravi
    assert asha.created_by in (None, asha)  # her account was created by itself (the first account)


def test_created_by_an_account_that_is_not_there_is_left_empty(staff):
    staff.reference_rows()
    person = staff.person(
        "Asha Verma", "asha@aiims.example", employee_id="E1", department=1, designation=1, created_by=999
    )
    staff.account(person, "asha")

    run = imported(staff)

    assert User.objects.get().created_by is None
    assert run.conflicts == []


def test_a_plain_text_password_is_hashed_and_must_be_changed(staff):
    realistic_staff(staff)

    imported(staff)

    for username, plain in [("asha", "asha-plain-pw-1"), ("ravik", "ravi-plain-pw-2"), ("meena", "meena-plain-pw-3")]:
        person = User.objects.get(username=username)
        assert person.check_password(plain)
        assert person.must_change_password is True
        row = User.objects.filter(pk=person.pk).values().get()
        assert not [name for name, value in row.items() if plain in str(value)], "plain text stored"
        history = list(person.history.values())
        assert plain not in str(history)


def test_a_person_without_an_account_gets_a_username_from_their_email_and_no_usable_password(staff):
    here = UserFactory(username="kiran.rao", email="kiran@elsewhere.example")  # the obvious username is taken
    realistic_staff(staff)  # Kiran Rao (Kiran.Rao@aiims.example) has no account

    imported(staff)

    here.refresh_from_db()
    assert (here.username, here.email) == ("kiran.rao", "kiran@elsewhere.example"), "someone else was taken over"
    assert User.objects.count() == 5
    kiran = User.objects.get(email__iexact="kiran.rao@aiims.example")
    assert kiran.username.lower().startswith("kiran.rao")
    assert kiran.username.lower() != "kiran.rao"  # unique: the one here keeps hers
    assert User.objects.filter(username__iexact=kiran.username).count() == 1
    assert not kiran.has_usable_password()
    assert kiran.full_name == "Kiran Rao"
    assert kiran.department.name == "Anaesthesiology"
    assert kiran.unit is None
    assert kiran.designation.name == "Junior Resident"
    assert kiran.date_joined == utc(2024, 7, 1, 9, 0, 0)


def test_people_without_accounts_whose_emails_share_a_local_part_get_different_usernames(staff):
    staff.reference_rows()
    staff.person("Anil One", "anil@aiims.example", employee_id="E1", department=1, designation=1)
    staff.person("Anil Two", "anil@other.example", employee_id="E2", department=2, designation=1)

    imported(staff)

    usernames = sorted(User.objects.values_list("username", flat=True))
    assert len(usernames) == 2 and len({name.lower() for name in usernames}) == 2
    assert all(name.lower().startswith("anil") for name in usernames)


def test_roles_become_groups_and_memberships(staff):
    realistic_staff(staff)

    imported(staff)

    def groups(username):
        return set(User.objects.get(username=username).groups.values_list("name", flat=True))

    assert groups("asha") == {"Consultant"}
    assert groups("ravik") == {"Consultant", "SR"}
    assert groups("meena") == {"Ward Nurse"}
    assert set(Group.objects.values_list("name", flat=True)) == set(REFERENCE_ROLES.values())


def test_a_role_matches_a_group_already_here(staff):
    consultants = Group.objects.create(name="Consultant")
    realistic_staff(staff)

    imported(staff)

    assert Group.objects.filter(name="Consultant").get() == consultants
    assert set(consultants.user_set.values_list("username", flat=True)) == {"asha", "ravik"}


def test_unit_and_department_heads(staff):
    realistic_staff(staff)

    imported(staff)

    asha, ravi = User.objects.get(username="asha"), User.objects.get(username="ravik")
    assert list(Unit.objects.get(name="Unit I").heads.all()) == [asha]
    assert list(Unit.objects.get(name="Unit II").heads.all()) == [ravi]
    assert list(Department.objects.get(abbr="RPC").heads.all()) == [asha]
    assert not Department.objects.get(abbr="Anaes").heads.exists()


def test_rows_created_by_the_import_have_history_that_says_so(staff):
    realistic_staff(staff)

    imported(staff)

    for model in (User, Department, Unit, Cadre, Designation):
        for row in model.objects.all():
            first = row.history.order_by("history_id").first()
            assert first is not None, f"{model.__name__} {row} has no history"
            assert first.history_type == "+"
            assert "import_flask" in (first.history_change_reason or ""), (row, first.history_change_reason)


def test_the_organization_already_here_is_matched_by_name_in_any_letter_case(staff):
    reference_organization_load()  # seed_db's reference organization: some of the same names
    here = {
        "department": Department.objects.get(name="Anaesthesiology").pk,
        "designation": Designation.objects.get(name="Nursing Officer").pk,  # "Nursing officer" in users.sql
        "cadre": Cadre.objects.get(name="Faculty").pk,
    }
    staff.reference_rows()

    imported(staff)

    assert Department.objects.filter(name__iexact="anaesthesiology").get().pk == here["department"]
    assert Department.objects.filter(name__iexact="dr rp center for ophthalmic sciences").count() == 1
    assert Designation.objects.filter(name__iexact="nursing officer").get().pk == here["designation"]
    assert Designation.objects.get(pk=here["designation"]).cadre.name == "Nursing"
    assert Cadre.objects.filter(name__iexact="faculty").get().pk == here["cadre"]
    assert Designation.objects.get(name__iexact="associate professor").abbr == "Asso Prof"  # updated from the source


def test_a_person_already_here_is_updated_not_duplicated(staff):
    already = UserFactory(username="ASHA", email="asha.old@example.net", full_name="A. Verma")
    realistic_staff(staff)

    imported(staff)

    asha = User.objects.get(username__iexact="asha")
    assert asha.pk == already.pk
    assert asha.full_name == "Asha Verma"
    assert User.objects.count() == 4


def test_dry_run_writes_nothing(staff):
    realistic_staff(staff)
    before = counts()

    run = import_flask("staff", staff.url, "--dry-run")

    assert run.returncode == 0, run
    assert counts() == before


def test_a_second_run_changes_nothing_and_says_so(staff):
    realistic_staff(staff)
    imported(staff)
    after_first = snapshot()

    second = imported(staff)

    assert snapshot() == after_first
    assert second.says_nothing_to_change, second


def test_a_second_run_brings_what_changed_in_the_source(staff):
    ids = realistic_staff(staff)
    imported(staff)
    staff.execute("UPDATE users SET fullname = %s WHERE id = %s", ("Asha V. Verma", ids["asha"]))
    staff.execute("UPDATE departments SET abbr = %s WHERE id = 2", ("ANS",))
    staff.execute(
        "UPDATE users SET inactive = 1, inactive_date = %s, inactive_by = %s WHERE id = %s",
        (naive(2025, 1, 2, 3, 4, 5), ids["asha_account"], ids["ravi"]),
    )
    staff.execute(
        "UPDATE accounts SET inactive = 1, inactive_date = %s, inactive_by = %s WHERE id = %s",
        (naive(2025, 1, 2, 3, 4, 5), ids["asha_account"], ids["ravi_account"]),
    )

    run = imported(staff)

    assert not run.says_nothing_to_change
    assert User.objects.get(username="asha").full_name == "Asha V. Verma"
    assert Department.objects.get(name="Anaesthesiology").abbr == "ANS"
    ravi = User.objects.get(username="ravik")
    assert (ravi.is_active, ravi.deactivated_at) == (False, utc(2025, 1, 2, 3, 4, 5))
    assert ravi.deactivated_by == User.objects.get(username="asha")
    assert User.objects.count() == 4 and Department.objects.count() == 2


def test_a_person_of_both_apps_is_one_person(microblog, tmp_path):
    """Both apps bring people into one table: someone the microblog brought is matched by email, not refused."""
    microblog.user("asha", "asha@aiims.example")
    assert import_flask("microblog", microblog.url).returncode == 0
    asha_pk = User.objects.get().pk
    staff = StaffSource("sqlite", f"sqlite:///{tmp_path / 'staff.db'}")
    staff.create_schema()
    realistic_staff(staff)
    staff.close()

    imported(staff)

    asha = User.objects.get(email="asha@aiims.example")
    assert (asha.pk, asha.username, asha.full_name) == (asha_pk, "asha", "Asha Verma")
    assert User.objects.count() == 4


def test_a_password_changed_here_is_kept_by_a_second_run(staff):
    realistic_staff(staff)
    imported(staff)
    asha = User.objects.get(username="asha")
    asha.set_password("a-new-password-of-hers")
    asha.must_change_password = False
    asha.save()

    imported(staff)

    asha.refresh_from_db()
    assert asha.check_password("a-new-password-of-hers")
    assert asha.must_change_password is False


def test_a_person_with_two_accounts_is_one_person(staff):
    staff.reference_rows()
    person = staff.person("Asha Verma", "asha@aiims.example", employee_id="E1", department=1, designation=1)
    first = staff.account(person, "asha_old", inactive=1, inactive_date=naive(2022, 1, 1, 0, 0, 0), roles=(1,))
    staff.account(person, "asha", created_by=first, roles=(1, 2))

    run = imported(staff)

    asha = User.objects.get()
    assert asha.username in ("asha", "asha_old")
    assert asha.email == "asha@aiims.example"
    assert set(asha.groups.values_list("name", flat=True)) == {"Consultant", "SR"}
    assert run.conflicts == []


def test_dates_the_server_filled_in_are_read_too(staff):
    """create_date left to the server's default: SQLite's CURRENT_TIMESTAMP has no fraction of a second."""
    staff.reference_rows()
    person = staff.person("Asha Verma", "asha@aiims.example", employee_id="E1", department=1, designation=1)
    staff.account(person, "asha")
    stored = staff.execute("SELECT create_date FROM users WHERE id = %s", (person,)).fetchone()[0]
    if isinstance(stored, str):  # SQLite: text as the server wrote it
        stored = datetime.datetime.fromisoformat(stored)

    imported(staff)

    assert User.objects.get().date_joined == stored.replace(tzinfo=datetime.UTC)


def test_people_with_an_empty_employee_id_have_none(staff):
    staff.reference_rows()
    for n in (1, 2):
        person = staff.person(f"Person {n}", f"p{n}@aiims.example", employee_id="", department=1, designation=1)
        staff.account(person, f"p{n}")

    imported(staff)

    assert list(User.objects.values_list("employee_id", flat=True)) == [None, None]


def test_a_department_without_an_abbreviation(staff):
    staff.department("Ophthalmology", None, "Department")

    imported(staff)

    assert Department.objects.get().abbr == ""
