"""One router for every app's API (NetBox style), mounted at /api/."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, routers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound

import core.schema  # noqa: F401  (registers the schema extensions)
from accounts.api.views import TokenView, UserViewSet
from organization.api.views import CadreViewSet, DepartmentViewSet, DesignationViewSet, UnitViewSet
from posts.api.views import FeedView, PostExportStartView, PostExportViewSet, PostViewSet


class APIRootView(routers.APIRootView):
    """The browsable index of the API: open to everyone (each endpoint checks its own permissions)."""

    permission_classes = [permissions.AllowAny]

    def get(self, request, *args, **kwargs):
        # The two endpoints outside the router belong in the index too.
        self.api_root_dict = {**self.api_root_dict, "feed": "feed", "auth/token": "auth-token"}
        return super().get(request, *args, **kwargs)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([permissions.AllowAny])
def not_found(request, *args, **kwargs):
    """Unknown /api/ paths answer 404 in JSON, like unknown ids."""
    raise NotFound()


router = routers.DefaultRouter()
router.APIRootView = APIRootView
router.register("users", UserViewSet, basename="user")
router.register("posts", PostViewSet, basename="post")
router.register("departments", DepartmentViewSet, basename="department")
router.register("units", UnitViewSet, basename="unit")
router.register("cadres", CadreViewSet, basename="cadre")
router.register("designations", DesignationViewSet, basename="designation")
router.register("tasks", PostExportViewSet, basename="task")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("feed/", FeedView.as_view(), name="feed"),
    path("users/me/export/", PostExportStartView.as_view(), name="user-export"),
    *router.urls,
]
