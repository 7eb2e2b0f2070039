from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every app shares: API base classes, filters, throttles, the shared cache, pages, history."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import checks  # noqa: F401  (registers the system checks)
