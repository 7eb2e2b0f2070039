from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.invalidation import following_scope
from core.api import CachedList, DetailWithoutFilters, IsOwnerOrStaff, ZipDownloadNegotiation
from posts import services
from posts.api.filtersets import PostFilter
from posts.api.serializers import PostExportSerializer, PostSerializer
from posts.counting import post_total
from posts.models import PostExport
from posts.selectors import feed_for_user, post_list


class PostViewSet(CachedList, DetailWithoutFilters, viewsets.ModelViewSet):
    """Posts, newest first: anyone reads; signed-in people post; the author changes and deletes.

    Staff change and delete other people's posts with the post change or delete permission.
    """

    serializer_class = PostSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrStaff]
    owner_id_field = "author_id"
    filterset_class = PostFilter
    search_fields = ("body",)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return post_list()

    def list_scopes(self):
        return ("posts",)

    def list_count(self):
        return post_total()  # the number of posts, kept as they are written

    def perform_create(self, serializer):
        serializer.instance = services.post_create(author=self.request.user, body=serializer.validated_data["body"])

    def perform_update(self, serializer):
        body = serializer.validated_data.get("body", serializer.instance.body)
        serializer.instance = services.post_update(post=serializer.instance, body=body)


class FeedView(CachedList, generics.ListAPIView):
    """Posts of the people you follow and your own, newest first."""

    serializer_class = PostSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        return feed_for_user(user=self.request.user)

    def list_scopes(self):
        return ("posts", following_scope(self.request.user.pk))


ExportConflictSerializer = inline_serializer(
    "ExportConflict", {"detail": serializers.CharField(), "task": serializers.UUIDField()}
)


class PostExportStartView(APIView):
    """Export my posts: a background task writes them to JSON and CSV, keeps the file and mails it."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="users_me_export_create",
        request=None,
        responses={
            202: OpenApiResponse(PostExportSerializer, description="Started: poll /api/tasks/{id}/"),
            409: OpenApiResponse(ExportConflictSerializer, description="An export is already under way"),
        },
    )
    def post(self, request):
        try:
            export = services.post_export_start(user=request.user)
        except services.ExportInProgress as exc:
            return Response({"detail": str(exc), "task": str(exc.export.pk)}, status=status.HTTP_409_CONFLICT)
        export.refresh_from_db()  # the immediate backend may have run it already
        data = PostExportSerializer(export, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class PostExportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background tasks (today: "export my posts"), each visible to the person who started it only."""

    serializer_class = PostExportSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema pass has no user
            return PostExport.objects.none()
        # Someone else's task is a 404, not a 403: its id says nothing to them.
        return PostExport.objects.filter(user=self.request.user)

    @extend_schema(
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="posts.json + posts.csv")}
    )
    @action(detail=True, content_negotiation_class=ZipDownloadNegotiation)
    def download(self, request, pk=None):
        """The export's file (a ZIP of posts.json and posts.csv), once it is done."""
        export = self.get_object()
        if not export.is_downloadable:
            raise NotFound("This export has no file (yet).")
        return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1])
