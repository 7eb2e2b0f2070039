"""drf-spectacular extensions: how our own fields, the answers' shapes and the error answers look in the schema.

The schema is the contract (issue #20): tests/conftest.py validates every API response of the suite against
it, and tests/api/test_generated_client.py drives the API through a client generated from it.
"""

import copy

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
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
    """DRF's error shape for everything but invalid input: {"detail": "…"}."""

    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """Invalid input (400): field name (or non_field_errors) → messages; a body that is not JSON: {"detail"}.

    Its schema is ValidationErrorExtension's (a serializer cannot say "any other key").
    """


class ValidationErrorExtension(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "description": "Invalid input: each field in error (or non_field_errors) → its messages. A body that "
            'is not JSON, or malformed JSON: {"detail": "…"}.',
            "properties": {
                "detail": {"type": "string", "description": "Why the body could not be read."},
                "non_field_errors": {**messages, "description": "Errors about the input as a whole."},
            },
            "additionalProperties": {**messages, "description": "A field's errors."},
        }


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}


def error(description: str) -> OpenApiResponse:
    """An error answer {"detail": "…"}, for @extend_schema(responses=…)."""
    return OpenApiResponse(ErrorSerializer, description=description)


def validation_error(description: str) -> OpenApiResponse:
    """A 400 answer (field → [messages]), for @extend_schema(responses=…)."""
    return OpenApiResponse(ValidationErrorSerializer, description=description)


VALIDATION_ERROR = validation_error(
    "Invalid input: field name (or non_field_errors) → list of messages. A NUL character anywhere in the "
    "request (path, query string, header, cookie) is one, on every operation."
)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the error answers every operation can give, each with its body.

    Every field of an answer is always there (null where it has no value): response objects mark all
    their properties required, so generated clients need not expect them missing.
    """

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and schema.get("properties"):
            schema["required"] = list(schema["properties"])
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            documented = responses.get(code)
            if documented is None:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
            elif "content" not in documented:  # declared with a description only: give it its body
                body = self._get_response_for_code(response, code, direction=direction)
                responses[code] = {**body, "description": documented["description"] or body["description"]}
            if code in ("429", "503"):
                responses[code]["headers"] = copy.deepcopy(RETRY_AFTER)
        return responses

    def _takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def _error_responses(self) -> dict:
        unsafe = self.method in ("POST", "PUT", "PATCH", "DELETE")
        errors = {"400": VALIDATION_ERROR}  # core.middleware.RejectNullCharactersMiddleware: any operation
        errors["401"] = error("Invalid token, or not signed in.")
        if unsafe or not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            errors["403"] = error("Not allowed for this user (or, signed in with a browser session: no CSRF token).")
        if "{" in self.path or self._is_list_view():
            errors["404"] = error("No such object (or page), or an unknown ?format=.")
        else:
            errors["404"] = error("An unknown ?format=.")
        errors["406"] = error("The Accept header names no type this operation answers with.")
        if unsafe:
            errors["409"] = error("Lost a race: a change made at the same time conflicts; reload and retry.")
        if self._takes_body():
            errors["415"] = error("The body is not JSON (Content-Type: application/json).")
        errors["429"] = error("Throttled; see the Retry-After header.")
        errors["503"] = error("The database is unavailable; see the Retry-After header.")
        return errors
