"""drf-spectacular extensions: how our own fields look in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes


class NestedPrimaryKeyFieldExtension(OpenApiSerializerFieldExtension):
    """NestedPrimaryKeyField writes an id and reads {"id", <label fields>…}."""

    target_class = "project.api.NestedPrimaryKeyField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        properties = {"id": build_basic_type(OpenApiTypes.INT)}
        properties |= {name: build_basic_type(OpenApiTypes.STR) for name in self.target.shown_fields}
        return {"type": "object", "properties": properties, "required": list(properties)}
