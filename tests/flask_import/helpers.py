"""Running `import_flask` as a test would from the shell, and reading what it said and wrote."""

import re
from dataclasses import dataclass
from io import StringIO

from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

# Which engines hold a source in this run: SQLite always; the run's own server when it is the one the app
# ran on (the microblog on PostgreSQL, the staff directory on MariaDB/MySQL). Read at collection, no query.
RUN_VENDOR = connection.vendor
SOURCE_ENGINES = {
    "microblog": ["sqlite"] + (["postgresql"] if RUN_VENDOR == "postgresql" else []),
    "staff": ["sqlite"] + (["mysql"] if RUN_VENDOR == "mysql" else []),
}

HEADING = re.compile(r"^Conflicts \((?P<count>\d+)\):$")
# What the command prints instead under --skip-conflicts today; read too, so that one test
# (test_conflicts.py::test_the_conflicts_heading_is_the_same_in_every_mode) fails for it, not all of them.
OTHER_HEADINGS = re.compile(r"^(?:Conflicts|Skipped, in conflict) \((?P<count>\d+)\):$")
CONFLICT = re.compile(r"^  (?P<table>\S+) (?P<id>\S+): (?P<message>.*) \[(?P<code>[a-z-]+)\]$")


def server_url(engine: str, database: str, *, password: str | None = None) -> str:
    """A URL to `database` on the server of the run's own database (its user, host and port)."""
    own = settings.DATABASES["default"]
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[engine]
    if password is None:
        password = own.get("PASSWORD") or ""
    credentials = own["USER"] + (f":{password}" if password else "")
    port = own.get("PORT") or {"postgresql": 5432, "mysql": 3306}[engine]
    return f"{scheme}://{credentials}@{own.get('HOST') or '127.0.0.1'}:{port}/{database}"


@dataclass(frozen=True)
class Conflict:
    table: str
    id: str
    message: str
    code: str


@dataclass
class Run:
    """One run of the command: its exit code (CommandError's returncode, else 0), what it printed, and the
    CommandError's message ("" when it raised none)."""

    returncode: int
    out: str
    err: str
    error: str = ""

    @property
    def conflicts(self) -> list[Conflict]:
        """The n lines under "Conflicts (n):" on stdout."""
        lines = self.out.splitlines()
        headings = [index for index, line in enumerate(lines) if OTHER_HEADINGS.match(line)]
        if not headings:
            return []
        assert len(headings) == 1, f"more than one conflicts heading:\n{self.out}"
        count = int(OTHER_HEADINGS.match(lines[headings[0]])["count"])
        listed = lines[headings[0] + 1 : headings[0] + 1 + count]
        assert len(listed) == count, f"the heading says {count} conflicts, {len(listed)} lines follow:\n{self.out}"
        conflicts = []
        for line in listed:
            match = CONFLICT.match(line)
            assert match, f"not a conflict line ('  <table> <id>: <message> [<code>]'): {line!r}"
            conflicts.append(Conflict(**match.groupdict()))
        return conflicts

    def listed(self, table: str, source_id, code: str) -> bool:
        return any(c.table == table and c.id.strip() == str(source_id) and c.code == code for c in self.conflicts)

    @property
    def headings(self) -> list[str]:
        return [line for line in self.out.splitlines() if OTHER_HEADINGS.match(line)]

    @property
    def codes(self) -> set[str]:
        return {conflict.code for conflict in self.conflicts}

    @property
    def says_nothing_to_change(self) -> bool:
        return any(line.startswith("Nothing to change") for line in self.out.splitlines())

    def __str__(self):
        return f"exit {self.returncode}\n--- stdout\n{self.out}--- stderr\n{self.err}--- error\n{self.error}"


def import_flask(app: str, url: str, *options: str) -> Run:
    """call_command("import_flask", app, url, *options), its output captured."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_flask", app, url, *options, stdout=out, stderr=err)
    except CommandError as error:
        return Run(error.returncode, out.getvalue(), err.getvalue(), str(error))
    return Run(0, out.getvalue(), err.getvalue())


# What an import may write: people, groups and memberships, posts, the organization, their change history,
# and the import's own map of source rows.
WRITTEN_APPS = ("accounts", "posts", "organization", "auth", "flask_import")


def _models():
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in WRITTEN_APPS and model._meta.label != "auth.Permission":
            yield model


def counts() -> dict[str, int]:
    """Rows per model of everything an import may write."""
    return {model._meta.label: model.objects.count() for model in _models()}


def snapshot() -> dict[str, list[dict]]:
    """Every row (all values) of what the import writes, ordered by id; the import's map by count only (when a
    row was last imported is its business)."""
    return {
        model._meta.label: (
            model.objects.count()
            if model._meta.app_label == "flask_import"
            else list(model.objects.order_by("pk").values())
        )
        for model in _models()
    }
