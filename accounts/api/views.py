from django.conf import settings
from django.contrib.auth import authenticate
from django.http import Http404, HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.filtersets import UserFilter
from accounts.api.serializers import UserRegisterSerializer, UserSerializer, UserUpdateSerializer
from accounts.invalidation import person_scope
from accounts.middleware import password_change_required_body
from accounts.models import User
from accounts.selectors import user_api_list, user_detail, user_list
from accounts.signin_guard import signin_blocked
from core.api import CachedList, DetailWithoutFilters, IsOwnerOrStaff, Throttled, cached_answer, parse_id
from core.schema import error, validation_error
from core.throttling import RegistrationThrottle, ScopedRateThrottle

TokenSerializer = inline_serializer("Token", {"token": serializers.CharField()})
# The Error body, with a "code" (accounts.middleware.password_change_required_body).
PASSWORD_CHANGE_REQUIRED = error(
    'The right password, but the person must choose a new one on the web pages first: {"detail": "…", '
    '"code": "password_change_required"}. Or, signed in with a browser session: no CSRF token.'
)


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        request, username = self.context["request"], attrs["username"]
        if signin_blocked(request, username):
            raise Throttled(wait=settings.SIGNIN_FAILURE_WINDOW, detail=_("Too many failed sign-in attempts."))
        user = authenticate(request, username=username, password=attrs["password"])  # counts failures
        if user is None:
            raise serializers.ValidationError(_("Unable to sign in with the given username and password."))
        attrs["user"] = user
        return attrs


class TokenView(APIView):
    """Obtain (POST) or revoke (DELETE) the caller's API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_permissions(self):
        return [permissions.IsAuthenticated()] if self.request.method == "DELETE" else [permissions.AllowAny()]

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: validation_error("Wrong credentials, or a field missing."),
            403: PASSWORD_CHANGE_REQUIRED,
        },
        auth=[],
    )
    def post(self, request):
        credentials = CredentialsSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        user = credentials.validated_data["user"]
        if user.must_change_password:  # a password that came in as plain text: no token until a new one is chosen
            return Response(password_change_required_body(), status=status.HTTP_403_FORBIDDEN)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=UserRegisterSerializer, responses={201: UserSerializer}, auth=[]),
    partial_update=extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer}),
)
class UserViewSet(
    CachedList, DetailWithoutFilters, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """People: register (anyone), list and read (anyone), change (the person, or staff with the change permission)."""

    serializer_class = UserSerializer
    owner_id_field = "pk"  # a person owns their own profile
    filterset_class = UserFilter
    search_fields = ("username", "full_name")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        # Reads load only what the answer shows; a change works on the whole person.
        return user_api_list() if self.action == "list" else user_list()

    def list_scopes(self):
        viewer = self.request.user  # staff, or the person themselves, see private fields
        return ("people", person_scope(viewer.pk)) if viewer.is_authenticated else ("people",)

    def retrieve(self, request, *args, **kwargs):
        """One person, from the shared cache for everyone but themselves and staff (who see private fields)."""
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise Http404
        return self._person_answer(pk)

    def kept_answer(self):
        if self.action == "retrieve":
            pk = parse_id(self.kwargs["pk"])
            return None if pk is None else self._public_answer(pk)
        return super().kept_answer()

    def _public_answer(self, pk: int) -> tuple[str, tuple[str, ...]] | None:
        """(name, scopes) of person `pk` as everyone sees them, kept in the shared cache; None for the requester
        themselves and staff, who see private fields, read afresh."""
        viewer = self.request.user
        if viewer.is_staff or viewer.pk == pk:
            return None
        return f"api:user:{pk}:{self.request.get_host()}:{self.request.is_secure()}", (person_scope(pk), "org")

    def _person_answer(self, pk: int) -> HttpResponseBase:
        """Person `pk` as the requester sees them (`_public_answer`)."""
        kept = self._public_answer(pk)
        if kept is None:
            return Response(self._show_one(pk))
        name, scopes = kept
        return cached_answer(self, name, lambda: self._show_one(pk), scopes)

    def _show_one(self, pk: int) -> dict:
        return self.get_serializer(self._get_user(pk)).data

    def _get_user(self, pk: int) -> User:
        try:
            return user_detail(pk=pk)
        except User.DoesNotExist:
            raise Http404 from None

    def get_throttles(self):
        if self.action == "create":  # registration: per client address, besides the anonymous limit
            return [*super().get_throttles(), RegistrationThrottle()]
        return super().get_throttles()

    def get_permissions(self):
        if self.action == "create":
            return [permissions.AllowAny()]
        if self.action in ("me", "follow"):
            return [permissions.IsAuthenticated()]
        return [permissions.IsAuthenticatedOrReadOnly(), IsOwnerOrStaff()]

    def create(self, request, *args, **kwargs):
        serializer = UserRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Whoever adds a person while signed in is their creator; people who register themselves have none.
        added_by = {"created_by": request.user} if request.user.is_authenticated else {}
        user = services.user_register(**serializer.validated_data, **added_by)
        return Response(self._show(user, viewer=user), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = UserUpdateSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        # Only what differs is written (as the profile page saves the fields the person changed): a PATCH of
        # the values there are writes nothing, records no history and leaves every cached read kept.
        changed = {name: value for name, value in serializer.validated_data.items() if getattr(user, name) != value}
        if changed:
            services.user_update(user=user, **changed)
        # get_object() read the person with their organization and counts (user_list()): shown as changed, with
        # no second read (the counts as they were a moment ago, when the person was read).
        return Response(self.get_serializer(user).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(responses={200: UserSerializer})
    @action(detail=False)
    def me(self, request):
        """The signed-in person."""
        return Response(self._show(request.user))

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={
            201: OpenApiResponse(UserSerializer, description="Now following"),
            200: OpenApiResponse(UserSerializer, description="Already following"),
            400: validation_error("You cannot follow yourself."),
        },
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def follow(self, request, pk=None):
        """Follow (POST) or unfollow (DELETE) this person."""
        followed = get_object_or_404(User.objects.only("pk"), pk=pk)  # who it is; the answer reads them afresh
        if request.method == "DELETE":
            services.user_unfollow(follower=request.user, followed=followed)
            return Response(status=status.HTTP_204_NO_CONTENT)
        created = services.user_follow(follower=request.user, followed=followed)
        # The answer is the person as `GET /api/users/{id}/` shows them to the requester, read after the follow
        # (the versions first, then the row, as every read): what is kept for everyone serves those reads too.
        response = self._person_answer(followed.pk)
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return response

    @extend_schema(responses={200: UserSerializer(many=True)})
    @action(detail=True)
    def followers(self, request, pk=None):
        """People who follow this person."""
        return self._page(user_api_list().filter(following__pk=self._user_pk(pk)))

    @extend_schema(responses={200: UserSerializer(many=True)})
    @action(detail=True)
    def following(self, request, pk=None):
        """People this person follows."""
        return self._page(user_api_list().filter(followers__pk=self._user_pk(pk)))

    def _user_pk(self, pk) -> int:
        return get_object_or_404(User.objects.only("pk"), pk=pk).pk

    def _page(self, queryset):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _show(self, user, viewer=None) -> dict:
        """The person as the list shows them, with fresh counts (and private fields for `viewer`)."""
        context = self.get_serializer_context() | {"viewer": viewer}
        return UserSerializer(user_api_list().get(pk=user.pk), context=context).data
