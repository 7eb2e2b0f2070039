"""Conflicts: listed under "Conflicts (n):" as "  <table> <id>: <message> [<code>]".

A dry run lists them and writes nothing (exit 1 when there are any, 0 with --skip-conflicts); a real run with
any writes nothing and exits 1, unless --skip-conflicts: then everything else is imported, and the rows in
conflict and those that hang on them ("parent-skipped") are not.

Each case below adds a few faulty rows to a realistic source and says which conflicts they make.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from accounts.models import Follow, User
from organization.models import Cadre, Department, Designation, Unit
from posts.models import Message, Post
from tests.factories import UserFactory
from tests.flask_import.helpers import HEADING, SOURCE_ENGINES, Run, counts, import_flask, snapshot
from tests.flask_import.sources import realistic_microblog, realistic_staff


@dataclass(frozen=True)
class Expected:
    """A conflict line: its table (one of `tables`), its id (one of `ids`; any if empty), one of its `codes`."""

    tables: tuple[str, ...]
    ids: tuple = ()
    codes: tuple[str, ...] = ()

    def found_in(self, run: Run) -> bool:
        return any(
            conflict.table in self.tables
            and (not self.ids or conflict.id.strip() in {str(i) for i in self.ids})
            and conflict.code in self.codes
            for conflict in run.conflicts
        )


class AnyOf:
    """One of these conflict lines (a person's conflict may be listed on `users` or on their `accounts` row)."""

    def __init__(self, *choices: Expected):
        self.choices = choices

    def __repr__(self):
        return f"AnyOf{self.choices!r}"

    def found_in(self, run: Run) -> bool:
        return any(choice.found_in(run) for choice in self.choices)


def one(table, source_id, *codes) -> Expected:
    return Expected((table,), (source_id,), codes)


@dataclass
class Faults:
    conflicts: list[Expected]  # listed by every run
    dependents: list[Expected] = field(default_factory=list)  # listed as parent-skipped with --skip-conflicts
    kept_out: Callable[[], bool] = lambda: True  # after --skip-conflicts: none of the faulty rows is here


@dataclass
class Case:
    name: str
    build: Callable  # (source, ids of the realistic data set) → Faults
    engines: tuple[str, ...] = ("sqlite", "postgresql", "mysql")  # where the source can hold such rows


def cases_for(app: str, cases: list[Case]):
    return [
        pytest.param(case, engine, id=f"{case.name}-{engine}-source")
        for case in cases
        for engine in SOURCE_ENGINES[app]
        if engine in case.engines
    ]


# --- microblog ------------------------------------------------------------------------------------------------

REALISTIC_PEOPLE = {"susan", "john", "david", "mary"}


def realistic_microblog_is_here():
    people = User.objects.filter(username__in=REALISTIC_PEOPLE)
    assert set(people.values_list("username", flat=True)) == REALISTIC_PEOPLE
    assert Post.objects.filter(author__in=people).count() == 5
    assert Follow.objects.filter(follower__in=people, followed__in=people).count() == 4
    assert Message.objects.filter(sender__in=people, recipient__in=people).count() == 2


def username_invalid(source, ids):
    bad = source.user("john smith", "john.smith@example.com")
    post = source.post(bad, "Hello from a username with a space")
    message = source.message(bad, ids["susan"], "Hi!")
    source.follow(ids["susan"], bad)
    return Faults(
        [one("user", bad, "username-invalid")],
        dependents=[
            one("post", post, "parent-skipped"),
            one("message", message, "parent-skipped"),
            Expected(("followers",), codes=("parent-skipped",)),
        ],
        kept_out=lambda: not User.objects.filter(email="john.smith@example.com").exists(),
    )


def email_invalid(source, ids):
    bad = source.user("jsmith", "john.smith(at)example.com")
    post = source.post(bad, "My email is odd")
    return Faults(
        [one("user", bad, "email-invalid")],
        dependents=[one("post", post, "parent-skipped")],
        kept_out=lambda: not User.objects.filter(username="jsmith").exists(),
    )


def taken_by_two_people_here(source, ids):
    UserFactory(username="zara", email="zara.here@example.net")
    UserFactory(username="zed", email="zara@example.com")
    bad = source.user("zara", "zara@example.com")
    post = source.post(bad, "Whose am I?")
    return Faults(
        [one("user", bad, "username-taken", "email-taken")],
        dependents=[one("post", post, "parent-skipped")],
        kept_out=lambda: (
            User.objects.get(username="zara").email == "zara.here@example.net"
            and not Post.objects.filter(body="Whose am I?").exists()
        ),
    )


def post_of_a_missing_user(source, ids):
    with source.dangling_references():
        post = source.post(999, "Nobody wrote me")
    return Faults(
        [one("post", post, "missing-parent")], kept_out=lambda: not Post.objects.filter(body="Nobody wrote me").exists()
    )


def message_to_a_missing_user(source, ids):
    with source.dangling_references():
        message = source.message(ids["john"], 999, "Anyone there?")
    return Faults(
        [one("message", message, "missing-parent")],
        kept_out=lambda: not Message.objects.filter(body="Anyone there?").exists(),
    )


def follow_of_a_missing_user(source, ids):
    with source.dangling_references():
        source.follow(ids["mary"], 999)
    return Faults([Expected(("followers",), codes=("missing-parent",))])


def post_too_long(source, ids):
    post = source.post(ids["john"], "y" * 141)  # SQLite does not enforce VARCHAR(140)
    message = source.message(ids["john"], ids["mary"], "z" * 200)
    return Faults(
        [one("post", post, "body-too-long"), one("message", message, "body-too-long")],
        kept_out=lambda: not Post.objects.filter(body__startswith="yyy").exists(),
    )


def post_blank(source, ids):
    empty = source.post(ids["john"], "")
    spaces = source.post(ids["john"], "    ")
    message = source.message(ids["john"], ids["mary"], " ")
    return Faults(
        [
            one("post", empty, "body-blank"),
            one("post", spaces, "body-blank"),
            one("message", message, "body-blank"),
        ]
    )


def self_follow(source, ids):
    source.follow(ids["david"], ids["david"])
    return Faults(
        [Expected(("followers",), codes=("self-follow",))],
        kept_out=lambda: not Follow.objects.filter(follower__username="david", followed__username="david").exists(),
    )


def same_username_in_another_case(source, ids):
    first = source.user("Alice", "alice@example.com")
    second = source.user("alice", "alice2@example.com")
    return Faults(
        [Expected(("user",), (first, second), ("duplicate",))],
        kept_out=lambda: User.objects.filter(username__iexact="alice").count() <= 1,
    )


def same_email_in_another_case(source, ids):
    first = source.user("bob", "Bob@Example.com")
    second = source.user("bobby", "bob@example.com")
    return Faults(
        [Expected(("user",), (first, second), ("duplicate",))],
        kept_out=lambda: User.objects.filter(email__iexact="bob@example.com").count() <= 1,
    )


def about_me_too_long(source, ids):
    bad = source.user("talker", about_me="a" * 141)  # SQLite does not enforce VARCHAR(140)
    return Faults(
        [one("user", bad, "invalid-value")], kept_out=lambda: not User.objects.filter(username="talker").exists()
    )


MICROBLOG_CASES = [
    Case("username-invalid", username_invalid),
    Case("email-invalid", email_invalid),
    Case("taken-by-two-people-here", taken_by_two_people_here),
    Case("post-of-a-missing-user", post_of_a_missing_user),
    Case("message-to-a-missing-user", message_to_a_missing_user),
    Case("follow-of-a-missing-user", follow_of_a_missing_user),
    Case("body-too-long", post_too_long, engines=("sqlite",)),  # VARCHAR(140) on PostgreSQL
    Case("body-blank", post_blank),
    Case("self-follow", self_follow),
    Case("same-username-in-another-case", same_username_in_another_case),
    Case("same-email-in-another-case", same_email_in_another_case),
    Case("about-me-too-long", about_me_too_long, engines=("sqlite",)),
]


@pytest.fixture
def microblog_case(microblog, case):
    ids = realistic_microblog(microblog)
    return microblog, case.build(microblog, ids)


@pytest.mark.parametrize(("case", "source_engine"), cases_for("microblog", MICROBLOG_CASES))
def test_microblog_dry_run_lists_the_conflict_exits_1_and_writes_nothing(microblog_case):
    microblog, faults = microblog_case
    before = counts()

    run = import_flask("microblog", microblog.url, "--dry-run")

    assert run.returncode == 1, run
    assert [expected for expected in faults.conflicts if not expected.found_in(run)] == [], run
    assert counts() == before


@pytest.mark.parametrize(("case", "source_engine"), cases_for("microblog", MICROBLOG_CASES))
def test_microblog_real_run_with_a_conflict_exits_1_and_writes_nothing(microblog_case):
    microblog, faults = microblog_case
    before = counts()

    run = import_flask("microblog", microblog.url)

    assert run.returncode == 1, run
    assert [expected for expected in faults.conflicts if not expected.found_in(run)] == [], run
    assert counts() == before


@pytest.mark.parametrize(("case", "source_engine"), cases_for("microblog", MICROBLOG_CASES))
def test_microblog_skip_conflicts_imports_the_rest(microblog_case):
    microblog, faults = microblog_case

    run = import_flask("microblog", microblog.url, "--skip-conflicts")

    assert run.returncode == 0, run
    expected = faults.conflicts + faults.dependents
    assert [each for each in expected if not each.found_in(run)] == [], run
    realistic_microblog_is_here()
    assert faults.kept_out()


@pytest.mark.parametrize(("case", "source_engine"), cases_for("microblog", MICROBLOG_CASES))
def test_microblog_dry_run_with_skip_conflicts_exits_0_and_lists_what_the_real_run_will_skip(microblog_case):
    microblog, faults = microblog_case
    before = counts()

    dry = import_flask("microblog", microblog.url, "--dry-run", "--skip-conflicts")

    assert dry.returncode == 0, dry
    assert counts() == before
    assert [each for each in faults.conflicts + faults.dependents if not each.found_in(dry)] == [], dry
    real = import_flask("microblog", microblog.url, "--skip-conflicts")
    assert set(real.conflicts) == set(dry.conflicts)


def test_a_username_taken_here_since_the_first_import(microblog):
    ids = realistic_microblog(microblog)
    assert import_flask("microblog", microblog.url).returncode == 0
    UserFactory(username="johnny", email="johnny@here.example")
    microblog.execute(f"UPDATE {microblog.quote('user')} SET username = 'johnny' WHERE id = %s", (ids["john"],))

    run = import_flask("microblog", microblog.url)

    assert run.returncode == 1, run
    assert run.listed("user", ids["john"], "username-taken"), run
    assert User.objects.get(email="john@example.com").username == "john"


def test_an_email_taken_here_since_the_first_import(microblog):
    ids = realistic_microblog(microblog)
    assert import_flask("microblog", microblog.url).returncode == 0
    UserFactory(username="jo", email="jo@here.example")
    microblog.execute(f"UPDATE {microblog.quote('user')} SET email = 'JO@here.example' WHERE id = %s", (ids["john"],))

    run = import_flask("microblog", microblog.url)

    assert run.returncode == 1, run
    assert run.listed("user", ids["john"], "email-taken"), run
    assert User.objects.get(username="john").email == "john@example.com"


def test_every_conflict_is_listed_not_only_the_first(microblog):
    ids = realistic_microblog(microblog)
    bad_name = microblog.user("bad name", "bad@example.com")
    bad_email = microblog.user("bademail", "no-at-sign")
    blank = microblog.post(ids["mary"], "  ")
    microblog.follow(ids["john"], ids["john"])

    run = import_flask("microblog", microblog.url, "--dry-run")

    assert run.returncode == 1, run
    assert run.listed("user", bad_name, "username-invalid")
    assert run.listed("user", bad_email, "email-invalid")
    assert run.listed("post", blank, "body-blank")
    assert "self-follow" in run.codes
    assert all(conflict.message.strip() for conflict in run.conflicts)


# --- staff directory ------------------------------------------------------------------------------------------


def realistic_staff_is_here():
    assert {"asha", "ravik", "meena"} <= set(User.objects.values_list("username", flat=True))
    assert User.objects.filter(email__iexact="kiran.rao@aiims.example").exists()
    assert Department.objects.filter(name__in=["Anaesthesiology", "Dr RP Center for Ophthalmic Sciences"]).count() == 2
    assert Unit.objects.filter(name__in=["Unit I", "Unit II", "Ocu Anesthesia"]).count() == 3
    assert Cadre.objects.filter(name__in=["Faculty", "Residents", "Nursing", "OT Technicians"]).count() == 4
    assert Designation.objects.filter(name="Professor").exists()


def unit_of_a_missing_department(source, ids):
    with source.dangling_references():
        unit = source.unit("Retina Unit", "RU", 99)
    person = source.person(
        "Farah Ali", "farah@aiims.example", employee_id="E5001", department=1, unit=unit, designation=1
    )
    source.account(person, "farah")
    return Faults(
        [one("units", unit, "missing-parent")],
        dependents=[one("users", person, "parent-skipped")],
        kept_out=lambda: (
            not Unit.objects.filter(name="Retina Unit").exists()
            and not User.objects.filter(email="farah@aiims.example").exists()
        ),
    )


def designation_of_a_missing_cadre(source, ids):
    with source.dangling_references():
        designation = source.designation("Registrar", "Reg", 99)
    person = source.person("Gita Sen", "gita@aiims.example", employee_id="E5002", department=2, designation=designation)
    return Faults(
        [one("designations", designation, "missing-parent")],
        dependents=[one("users", person, "parent-skipped")],
        kept_out=lambda: not Designation.objects.filter(name="Registrar").exists(),
    )


def person_of_a_missing_department(source, ids):
    with source.dangling_references():
        person = source.person("Hari Om", "hari@aiims.example", employee_id="E5003", department=99, designation=1)
    return Faults(
        [one("users", person, "missing-parent")],
        kept_out=lambda: not User.objects.filter(email="hari@aiims.example").exists(),
    )


def unknown_department_type(source, ids):
    department = source.department("Community Ophthalmology", "CO", "Division")
    unit = source.unit("Community Unit", "CU", department)
    return Faults(
        [one("departments", department, "invalid-value")],
        dependents=[one("units", unit, "parent-skipped")],
        kept_out=lambda: not Department.objects.filter(name="Community Ophthalmology").exists(),
    )


def mobile_refused(source, ids):
    person = source.person(
        "Isha Jain", "isha@aiims.example", employee_id="E5004", department=1, designation=1, mobile="12"
    )
    source.account(person, "isha")
    return Faults(
        [one("users", person, "invalid-value")],
        kept_out=lambda: not User.objects.filter(email="isha@aiims.example").exists(),
    )


def account_username_invalid(source, ids):
    person = source.person("Jaya Rao", "jaya@aiims.example", employee_id="E5005", department=1, designation=1)
    account = source.account(person, "jaya rao")
    return Faults(
        [AnyOf(one("users", person, "username-invalid"), one("accounts", account, "username-invalid"))],
        kept_out=lambda: not User.objects.filter(email="jaya@aiims.example").exists(),
    )


def person_email_invalid(source, ids):
    person = source.person("Kavya Nair", "kavya-at-aiims", employee_id="E5006", department=1, designation=1)
    source.account(person, "kavya")
    return Faults(
        [one("users", person, "email-invalid")],
        kept_out=lambda: not User.objects.filter(username="kavya").exists(),
    )


def second_email_invalid(source, ids):
    person = source.person(
        "Lila Sen", "lila@aiims.example", employee_id="E5011", department=1, designation=1, email2="lila at home"
    )
    source.account(person, "lila")
    return Faults(
        [one("users", person, "invalid-value", "email-invalid")],
        kept_out=lambda: not User.objects.filter(username="lila").exists(),
    )


def taken_here(source, ids):
    UserFactory(username="nisha", email="nisha.here@example.net")
    UserFactory(username="nish", email="nisha@aiims.example")
    person = source.person("Nisha Roy", "nisha@aiims.example", employee_id="E5007", department=1, designation=1)
    source.account(person, "nisha")
    return Faults(
        [one("users", person, "username-taken", "email-taken")],
        kept_out=lambda: User.objects.get(username="nisha").email == "nisha.here@example.net",
    )


def department_name_in_another_case(source, ids):
    department = source.department("ANAESTHESIOLOGY", "AN", "Department")  # users.sql has "Anaesthesiology", id 2
    return Faults(
        [Expected(("departments",), (2, department), ("duplicate",))],
        kept_out=lambda: Department.objects.filter(name__iexact="anaesthesiology").count() == 1,
    )


def account_username_in_another_case(source, ids):
    person = source.person("Ravi K", "ravi.k@aiims.example", employee_id="E5008", department=1, designation=1)
    account = source.account(person, "RaviK")  # "ravik" is Ravi Kumar's
    return Faults(
        [
            AnyOf(
                Expected(("accounts",), (ids["ravi_account"], account), ("duplicate",)),
                Expected(("users",), (ids["ravi"], person), ("duplicate",)),
            )
        ],
        kept_out=lambda: User.objects.filter(username__iexact="ravik").count() == 1,
    )


def head_of_a_missing_person(source, ids):
    with source.dangling_references():
        source.unit_head(3, 999)
        source.department_head(2, 999)
    return Faults(
        [
            Expected(("unitHeads",), codes=("missing-parent",)),
            Expected(("departmentHeads",), codes=("missing-parent",)),
        ],
        kept_out=lambda: not Unit.objects.get(name="Unit III").heads.exists(),
    )


def role_that_is_not_there(source, ids):
    with source.dangling_references():
        source.insert("accounts_roles_table", account_id=ids["asha_account"], role_id=99)
    return Faults(
        [Expected(("accounts_roles_table",), codes=("missing-parent",))],
        kept_out=lambda: set(User.objects.get(username="asha").groups.values_list("name", flat=True)) == {"Consultant"},
    )


STAFF_CASES = [
    Case("unit-of-a-missing-department", unit_of_a_missing_department),
    Case("designation-of-a-missing-cadre", designation_of_a_missing_cadre),
    Case("person-of-a-missing-department", person_of_a_missing_department),
    Case("unknown-department-type", unknown_department_type),
    Case("mobile-refused", mobile_refused),
    Case("account-username-invalid", account_username_invalid),
    Case("person-email-invalid", person_email_invalid),
    Case("second-email-invalid", second_email_invalid),
    Case("taken-here", taken_here),
    Case("head-of-a-missing-person", head_of_a_missing_person),
    Case("role-that-is-not-there", role_that_is_not_there),
    # MariaDB's default collation is case-insensitive: its unique indexes refuse these rows already.
    Case("department-name-in-another-case", department_name_in_another_case, engines=("sqlite",)),
    Case("account-username-in-another-case", account_username_in_another_case, engines=("sqlite",)),
]


@pytest.fixture
def staff_case(staff, case):
    ids = realistic_staff(staff)
    return staff, case.build(staff, ids)


@pytest.mark.parametrize(("case", "source_engine"), cases_for("staff", STAFF_CASES))
def test_staff_dry_run_lists_the_conflict_exits_1_and_writes_nothing(staff_case):
    staff, faults = staff_case
    before = counts()

    run = import_flask("staff", staff.url, "--dry-run")

    assert run.returncode == 1, run
    assert [expected for expected in faults.conflicts if not expected.found_in(run)] == [], run
    assert counts() == before


@pytest.mark.parametrize(("case", "source_engine"), cases_for("staff", STAFF_CASES))
def test_staff_real_run_with_a_conflict_exits_1_and_writes_nothing(staff_case):
    staff, faults = staff_case
    before = counts()

    run = import_flask("staff", staff.url)

    assert run.returncode == 1, run
    assert [expected for expected in faults.conflicts if not expected.found_in(run)] == [], run
    assert counts() == before


@pytest.mark.parametrize(("case", "source_engine"), cases_for("staff", STAFF_CASES))
def test_staff_skip_conflicts_imports_the_rest(staff_case):
    staff, faults = staff_case

    run = import_flask("staff", staff.url, "--skip-conflicts")

    assert run.returncode == 0, run
    assert [each for each in faults.conflicts + faults.dependents if not each.found_in(run)] == [], run
    realistic_staff_is_here()
    assert faults.kept_out()


@pytest.mark.parametrize(("case", "source_engine"), cases_for("staff", STAFF_CASES))
def test_staff_dry_run_with_skip_conflicts_exits_0_and_lists_what_the_real_run_will_skip(staff_case):
    staff, faults = staff_case
    before = counts()

    dry = import_flask("staff", staff.url, "--dry-run", "--skip-conflicts")

    assert dry.returncode == 0, dry
    assert counts() == before
    assert [each for each in faults.conflicts + faults.dependents if not each.found_in(dry)] == [], dry
    real = import_flask("staff", staff.url, "--skip-conflicts")
    assert set(real.conflicts) == set(dry.conflicts)


def test_a_head_who_is_skipped_is_not_made_a_head(staff):
    realistic_staff(staff)
    person = staff.person(
        "Lata Pai", "lata@aiims.example", employee_id="E5009", department=1, designation=1, mobile="12"
    )
    staff.account(person, "lata")
    staff.unit_head(3, person)

    run = import_flask("staff", staff.url, "--skip-conflicts")

    assert run.returncode == 0, run
    assert run.listed("users", person, "invalid-value"), run
    assert not Unit.objects.get(name="Unit III").heads.exists()
    assert list(Unit.objects.get(name="Unit I").heads.values_list("username", flat=True)) == ["asha"]


def test_a_unit_of_another_department_than_the_persons_is_a_conflict(staff):
    realistic_staff(staff)
    person = staff.person(
        "Mohan Lal", "mohan@aiims.example", employee_id="E5010", department=2, unit=1, designation=1
    )  # Unit I belongs to the RP Centre, not Anaesthesiology
    staff.account(person, "mohan")

    run = import_flask("staff", staff.url, "--dry-run")

    assert run.returncode == 1, run
    assert run.listed("users", person, "invalid-value"), run


@pytest.mark.parametrize(
    "options",
    [(), ("--dry-run",), ("--skip-conflicts",), ("--dry-run", "--skip-conflicts")],
    ids=lambda o: " ".join(o) or "run",
)
def test_the_conflicts_heading_is_the_same_in_every_mode(microblog, options):
    ids = realistic_microblog(microblog)
    microblog.follow(ids["john"], ids["john"])

    run = import_flask("microblog", microblog.url, *options)

    assert run.headings == ["Conflicts (1):"], run
    assert HEADING.match(run.headings[0])


def test_a_second_run_with_skip_conflicts_changes_nothing(microblog):
    ids = realistic_microblog(microblog)
    bad = microblog.user("bad name", "bad@example.com")
    microblog.post(bad, "Mine")
    microblog.follow(ids["mary"], ids["mary"])
    first = import_flask("microblog", microblog.url, "--skip-conflicts")
    assert first.returncode == 0, first
    after_first = snapshot()

    second = import_flask("microblog", microblog.url, "--skip-conflicts")

    assert second.returncode == 0, second
    assert snapshot() == after_first
    assert set(second.conflicts) == set(first.conflicts)
    assert second.says_nothing_to_change, second
