from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.views import favicon
from project.api_router import not_found

# ReDoc needs what the site's Content-Security-Policy (project/settings.py) does not allow, on its page alone:
# - the <style> elements it writes as it renders (styled-components), let through by the request's nonce, which
#   templates/drf_spectacular/redoc.html hands to ReDoc;
# - one <style> element it writes as its script loads, before it has the nonce: perfect-scrollbar's stylesheet
#   (the menu's scrolling), let through by the hashes of its two states, empty and filled. They change with the
#   ReDoc of drf-spectacular-sidecar: tests/browser/test_csp.py then fails with the new one in Chromium's message;
# - its search index's Worker, made from a blob: URL.
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the element, still empty
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar.css, ReDoc 2.5.4
]
redoc_view = csp_update({"style-src": [NONCE, *REDOC_STYLE_HASHES], "worker-src": [SELF, "blob:"]})(
    SpectacularRedocView.as_view(url_name="schema")
)

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("api/", include(("project.api_router", "api"))),
    path("api-auth/", include("rest_framework.urls")),  # sign-in links of the browsable API
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (?script), not inline.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", redoc_view, name="redoc"),
    re_path(r"^api/", not_found),
    path("", include("accounts.urls")),
    path("", include("posts.urls")),
    path("", include("organization.urls")),
]

# A database outage raised outside a view (middleware, after the response) is a 503 too, not a 500.
handler500 = "core.middleware.server_error"
