from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "organization"

    def ready(self):
        from organization import invalidation  # noqa: F401  (connects the cache invalidation receivers)
