from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from project.api_router import not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(("project.api_router", "api"))),
    path("api-auth/", include("rest_framework.urls")),  # sign-in links of the browsable API
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^api/", not_found),
    path("", include("accounts.urls")),
    path("", include("posts.urls")),
    path("", include("organization.urls")),
]

# A database outage raised outside a view (middleware, after the response) is a 503 too, not a 500.
handler500 = "core.middleware.server_error"
