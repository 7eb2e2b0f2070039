"""What the import brought over: source table and id → the row made of it here (so that a re-run updates)."""

from django.db import models


class ImportedRow(models.Model):
    """A source row (of a table with an id) and the row here that was made of it."""

    source = models.CharField(max_length=20, help_text="Which Flask app: microblog or staff.")
    database = models.CharField(
        max_length=200, help_text="Which database of it: engine, host, port and name (or the command's --source-id)."
    )
    table = models.CharField(max_length=40, help_text="The source table.")
    source_id = models.BigIntegerField(help_text="The row's id in the source table.")
    object_id = models.BigIntegerField(help_text="The id of the row made of it here.")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "database", "table", "source_id"], name="flask_import_row_unique"
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.database} {self.table} {self.source_id} → {self.object_id}"
