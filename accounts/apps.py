from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self):
        from accounts import invalidation  # noqa: F401  (connects the cache invalidation receivers)
