from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True  # what "accounts" in INSTALLED_APPS means (the admin's config below is named in full)
    name = "accounts"
    verbose_name = "People"

    def ready(self):
        from accounts import invalidation  # noqa: F401  (connects the cache invalidation receivers)


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with accounts.admin_site.AdminSite as `admin.site` (settings.INSTALLED_APPS)."""

    default = False
    default_site = "accounts.admin_site.AdminSite"
