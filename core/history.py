"""The change history every app's models share (django-simple-history)."""

from simple_history.models import HistoricalRecords


class ChangeHistory(HistoricalRecords):
    """django-simple-history that writes a record only when a tracked field really changed.

    A sign-in saves `last_login` alone and `seed_db` re-saves the reference organization unchanged:
    neither is a change anyone needs in the history. Costs one query (the latest record) per update.
    """

    def post_save(self, instance, created, using=None, **kwargs):
        if (
            not created
            and not kwargs.get("raw")
            and self._nothing_tracked_changed(instance, kwargs.get("update_fields"))
        ):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def _nothing_tracked_changed(self, instance, update_fields) -> bool:
        tracked = self.fields_included(instance)
        if update_fields is not None and not {f.name for f in tracked} & set(update_fields):
            return True
        latest = getattr(instance, self.manager_name).first()
        return latest is not None and all(getattr(latest, f.attname) == getattr(instance, f.attname) for f in tracked)
