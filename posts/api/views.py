from rest_framework import generics, permissions, viewsets

from posts import services
from posts.api.filtersets import PostFilter
from posts.api.serializers import PostSerializer
from posts.selectors import feed_for_user, post_list
from project.api import DetailWithoutFilters, IsOwnerOrStaff


class PostViewSet(DetailWithoutFilters, viewsets.ModelViewSet):
    """Posts, newest first: anyone reads; signed-in people post; the author or staff change and delete."""

    serializer_class = PostSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrStaff]
    owner_id_field = "author_id"
    filterset_class = PostFilter
    search_fields = ("body",)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return post_list()

    def perform_create(self, serializer):
        serializer.instance = services.post_create(author=self.request.user, body=serializer.validated_data["body"])

    def perform_update(self, serializer):
        body = serializer.validated_data.get("body", serializer.instance.body)
        serializer.instance = services.post_update(post=serializer.instance, body=body)


class FeedView(generics.ListAPIView):
    """Posts of the people you follow and your own, newest first."""

    serializer_class = PostSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        return feed_for_user(user=self.request.user)
