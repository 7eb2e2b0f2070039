import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class CoreConfig(AppConfig):
    """Plumbing every app shares: API base classes, filters, throttles, the shared cache, pages, history."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import checks  # noqa: F401  (registers the system checks)

        # Sent once per app that has models, at the end of every `migrate`: once is enough (core has none).
        contenttypes = self.apps.get_app_config("contenttypes")
        post_migrate.connect(drop_cached_reads, sender=contenttypes, dispatch_uid="core.apps.drop_cached_reads")


def drop_cached_reads(**kwargs) -> None:
    """After `manage.py migrate`, which every deploy runs: every cached read is read again (core.caching).

    A new release may show a thing differently (a field more in an answer, a page laid out anew) while the
    data, and so the versions its reads were kept under, stayed the same: without this its workers would
    serve what the previous release kept, from a cache that outlives deploys (Redis). Sessions and counters
    are not reads: they stay. A cache that cannot be reached is no reason for a migration to fail: its
    entries then go with it, or expire.
    """
    from core.caching import invalidate_all

    try:
        invalidate_all()
    except Exception:  # the cache's own errors (a Redis that is down: ConnectionError, …) have no common base
        logger.warning("migrate: the cached reads could not be dropped (the cache is unreachable)", exc_info=True)
