"""drf-spectacular extensions: how our own fields look in the OpenAPI schema."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class NestedPrimaryKeyFieldExtension(OpenApiSerializerFieldExtension):
    """NestedPrimaryKeyField writes an id and reads {"id", <label fields>…}."""

    target_class = "core.api.NestedPrimaryKeyField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        properties = {"id": build_basic_type(OpenApiTypes.INT)}
        properties |= {name: build_basic_type(OpenApiTypes.STR) for name in self.target.shown_fields}
        return {"type": "object", "properties": properties, "required": list(properties)}


class ErrorSerializer(serializers.Serializer):
    """DRF's error shape for everything but validation errors."""

    detail = serializers.CharField()


VALIDATION_ERROR = OpenApiResponse(
    response={"type": "object", "additionalProperties": {}, "description": "field name → [messages]"},
    description="Invalid input: field name (or non_field_errors) → list of messages.",
)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the error answers every endpoint can give."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_responses(self) -> dict:
        errors = {"401": OpenApiResponse(ErrorSerializer, description="Invalid token or not signed in.")}
        writes = self.method in ("POST", "PUT", "PATCH")
        if writes or self.get_filter_backends() or self._is_list_view():
            errors["400"] = VALIDATION_ERROR
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            errors["403"] = OpenApiResponse(ErrorSerializer, description="Not allowed for this user.")
        if "{" in self.path or self._is_list_view():
            errors["404"] = OpenApiResponse(ErrorSerializer, description="No such object (or page).")
        if writes or self.method == "DELETE":
            errors["409"] = OpenApiResponse(
                ErrorSerializer, description="Lost a race: a change made at the same time conflicts; reload and retry."
            )
        errors["429"] = OpenApiResponse(ErrorSerializer, description="Throttled; see the Retry-After header.")
        return errors
