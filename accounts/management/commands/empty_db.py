"""manage.py empty_db: delete every row of the project's apps, keeping the schema."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from simple_history.utils import get_history_model_for_model

from accounts.models import Follow, User
from core.caching import invalidate_all
from flask_import.models import ImportedRow
from organization.models import Cadre, Department, Designation, Unit
from posts.counting import recounted
from posts.models import Message, Post, PostExport

# Children before parents, so that no PROTECT rule stands in the way; import_flask's map of what it made
# goes with what it points at.
DELETE_ORDER = [ImportedRow, PostExport, Post, Message, Follow, User, Unit, Department, Designation, Cadre]
# Their change history is rows of the same apps: it goes first.
HISTORY = [get_history_model_for_model(model) for model in (User, Unit, Department, Designation, Cadre)]


class Command(BaseCommand):
    help = "Delete every row of the accounts, posts and organization apps in one transaction (schema stays)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="Do not ask for confirmation."
        )

    def handle(self, *args, **options):
        if options["interactive"]:
            answer = input("This deletes every person, post and organization record. Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Cancelled; nothing was deleted.")
        deleted: dict[str, int] = {}
        # With history paused (simple-history's own switch), deleting writes no "deleted" record per row.
        # Posts are counted once at the end (posts.counting), not one by one as they go.
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False), recounted():
            for model in [*HISTORY, *DELETE_ORDER]:
                _, per_model = model.objects.all().delete()
                for label, count in per_model.items():
                    deleted[label] = deleted.get(label, 0) + count
            invalidate_all()  # every cached read is read again (core.caching)
        for label, count in sorted(deleted.items()):
            self.stdout.write(f"  {label:<40} {count:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Deleted {sum(deleted.values()):,} rows."))
