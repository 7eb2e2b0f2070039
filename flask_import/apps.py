from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlaskImportConfig(AppConfig):
    """`manage.py import_flask`: people, posts and the organization moved in from the Flask apps."""

    name = "flask_import"
    verbose_name = _("Moving from the Flask apps")
