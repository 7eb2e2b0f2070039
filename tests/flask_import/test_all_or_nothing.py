"""All or nothing: when writing fails midway, nothing of the import is left."""

import pytest
from django.db import DatabaseError, connection

from tests.factories import UserFactory
from tests.flask_import.helpers import RUN_VENDOR, counts, import_flask
from tests.flask_import.sources import realistic_microblog, realistic_staff

# A trigger on the run's own database refuses the first private message: the people, posts and follows
# before them are written by then. (DDL is transactional on SQLite and PostgreSQL: the test's rollback
# removes the trigger; on MariaDB it would commit the test's transaction, so that run does not have it.)
REFUSE_MESSAGES = {
    "sqlite": [
        "CREATE TRIGGER refuse_messages BEFORE INSERT ON posts_message "
        "BEGIN SELECT RAISE(ABORT, 'no room for messages (a test)'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_messages() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'no room for messages (a test)'; END $$",
        "CREATE TRIGGER refuse_messages BEFORE INSERT ON posts_message FOR EACH ROW EXECUTE FUNCTION refuse_messages()",
    ],
}

if RUN_VENDOR in REFUSE_MESSAGES:

    def test_a_write_that_fails_midway_leaves_nothing(microblog):
        realistic_microblog(microblog)
        with connection.cursor() as cursor:
            for statement in REFUSE_MESSAGES[RUN_VENDOR]:
                cursor.execute(statement)
        before = counts()

        try:
            run = import_flask("microblog", microblog.url)
        except DatabaseError:
            pass  # the database's own error, unwrapped: still fine, if nothing is left
        else:
            assert run.returncode != 0, run

        assert counts() == before


@pytest.mark.parametrize("options", [(), ("--skip-conflicts",)], ids=["run", "skip"])
def test_an_employee_id_already_held_here_leaves_nothing_half_done(staff, options):
    """Employee ids are unique here (not in the source): the import must not stop halfway over one."""
    UserFactory(username="someone", email="someone@here.example", employee_id="E1002")  # Ravi Kumar's
    realistic_staff(staff)
    before = counts()

    run = import_flask("staff", staff.url, *options)

    if run.returncode == 0:  # listed and skipped
        assert options and run.conflicts and any(c.table == "users" for c in run.conflicts), run
    else:
        assert run.returncode == 1, run
        assert counts() == before
