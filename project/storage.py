"""Static files in production: WhiteNoise's compressed, hashed-name storage, each URL worked out once.

Django's manifest storage works out a file's URL from its manifest entry on every `{% static %}` (split,
unquote, join and quote again: about 25 µs here, four times on every page). The manifest is read when the
storage starts and changes only when collectstatic writes a new one, so a URL, once found, is kept until
then.
"""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

URLS_KEPT = 1_000  # URLs kept; the dictionary starts over when full


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """CompressedManifestStaticFilesStorage whose url() is worked out once per name."""

    def __init__(self, *args, **kwargs):
        self._urls: dict[tuple, str] = {}
        super().__init__(*args, **kwargs)

    def url(self, name, force=False):
        key = (name, force, settings.DEBUG)  # under DEBUG, Django's storage gives the unhashed name
        try:
            return self._urls[key]
        except KeyError:
            if len(self._urls) >= URLS_KEPT:
                self._urls.clear()
            url = self._urls[key] = super().url(name, force)
            return url

    def post_process(self, *args, **kwargs):
        self._urls.clear()  # collectstatic is writing a new manifest
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()
