"""System checks of the project's own settings (`manage.py check`, `check --deploy`)."""

from django.conf import settings
from django.core import checks
from django.core.cache import caches

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache_check(app_configs, **kwargs):
    """With DEBUG=False the default cache must be shared by every worker process (throttles, lockout, reads)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The default cache ({backend}) is kept per process: every worker counts throttles and failed "
            "sign-ins on its own, and cached reads are not invalidated across workers.",
            hint="Leave CACHE_URL unset for the shared file cache (CACHE_DIR), or set CACHE_URL=redis://… "
            "for several nodes.",
            obj=caches["default"],
            id="core.W001",
        )
    ]
