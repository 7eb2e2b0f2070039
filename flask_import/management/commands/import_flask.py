"""manage.py import_flask {microblog,staff} SOURCE_URL: move a Flask app's data in, people keep their passwords."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from tqdm import tqdm

from core.caching import invalidate_all
from flask_import.microblog import MicroblogImporter
from flask_import.source import Source, SourceError, first_line
from flask_import.staff import StaffImporter

IMPORTERS = {"microblog": MicroblogImporter, "staff": StaffImporter}
CONFLICTS, BAD_SOURCE = 1, 2  # exit codes


class Command(BaseCommand):
    help = (
        "Import a Flask microblog database or the Flask staff directory's database (read only). Records already "
        "here are updated, never duplicated; a second run changes nothing. Any conflict stops the import before "
        "it writes anything (exit code 1) unless --skip-conflicts; a source that is not the expected database "
        "exits with code 2. All or nothing: one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="Which Flask app the source database is.")
        parser.add_argument("url", metavar="DATABASE_URL", help="sqlite:///path, postgres://… or mysql://…")
        parser.add_argument("--dry-run", action="store_true", help="List what would change and every conflict.")
        parser.add_argument("--skip-conflicts", action="store_true", help="Import the rest, and list the rows skipped.")
        parser.add_argument(
            "--source-id",
            default="",
            help="What the import's map calls this source (default: engine, host, port and database name). "
            "Give the earlier one when the same database moved, so that a re-run still finds what it made.",
        )

    def handle(self, *args, kind, url, dry_run, skip_conflicts, source_id, verbosity, **options):
        started = time.perf_counter()
        importer = self._plan(kind, url, source_id, verbosity)
        self._conflicts(importer, skipping=skip_conflicts)
        if importer.conflicts and not skip_conflicts:
            if verbosity >= 1:
                self._summary(importer, would=True)
            written = "Dry run: nothing written" if dry_run else "Nothing written"
            raise CommandError(
                f"{written}: {len(importer.conflicts)} conflicts. Fix them in the source, or run again with "
                "--skip-conflicts to import the rest.",
                returncode=CONFLICTS,
            )
        if dry_run:
            if verbosity >= 1:
                self._summary(importer, would=True)
                self.stdout.write(
                    f"Dry run: nothing written. A real run would create {importer.count('created'):,} rows and "
                    f"update {importer.count('updated'):,}."
                )
            return
        if not importer.changes:
            self.stdout.write(
                f"Nothing to change: the {importer.count('unchanged'):,} rows of this source are already here."
            )
            return
        try:
            with transaction.atomic():
                importer.write()
                invalidate_all()  # bulk writes send no model signals: every cached read is read again
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused a row, nothing was written: {first_line(exc)}", returncode=CONFLICTS
            ) from exc
        if verbosity >= 1:
            self._summary(importer, would=False)
            seconds = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported the {kind} database: {importer.count('created'):,} rows created, "
                    f"{importer.count('updated'):,} updated, {importer.count('unchanged'):,} unchanged "
                    f"in {seconds:.1f} s."
                )
            )

    def _plan(self, kind: str, url: str, source_id: str, verbosity: int):
        try:
            source = Source(url)
        except SourceError as exc:
            raise CommandError(str(exc), returncode=BAD_SOURCE) from exc
        importer = IMPORTERS[kind](source, database=source_id, progress=self._progress_factory(verbosity))
        try:
            source.check(importer.schema, kind)
            importer.plan()
        except SourceError as exc:
            raise CommandError(str(exc), returncode=BAD_SOURCE) from exc
        finally:
            source.close()
        return importer

    def _conflicts(self, importer, *, skipping: bool) -> None:
        if not importer.conflicts:
            return
        self.stdout.write(f"Conflicts ({len(importer.conflicts)}):")
        for conflict in importer.conflicts:
            self.stdout.write(f"  {conflict}")
        if skipping:
            self.stdout.write("These rows are skipped (--skip-conflicts); the rest is imported.")

    def _summary(self, importer, *, would: bool) -> None:
        outcomes = ("created", "updated", "unchanged")
        header = ("would be " if would else "") + " / ".join(outcomes)
        self.stdout.write(f"{'':<28} {header}")
        for label in importer.labels():
            figures = "  ".join(f"{importer.counts[label, outcome]:>9,}" for outcome in outcomes)
            self.stdout.write(f"  {label:<26} {figures}")
        for note in importer.notes:
            self.stdout.write(f"Note: {note}")

    def _progress_factory(self, verbosity: int):
        def progress(total: int, description: str):
            return tqdm(total=total, desc=description, unit="rows", file=sys.stderr, disable=verbosity < 1 or not total)

        return progress
