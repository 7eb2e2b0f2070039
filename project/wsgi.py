"""WSGI entry point (gunicorn project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_wsgi_application()

from core.process import freeze_what_is_loaded  # noqa: E402  (needs the settings above)

freeze_what_is_loaded()
