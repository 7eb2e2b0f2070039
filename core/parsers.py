"""The API's JSON parser (settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, for which any body it cannot take is a 400.

    DRF turns a ValueError of `json` into a 400 but lets a RecursionError through: a body of a thousand
    nested brackets (2 KB) was a 500 on every JSON write, anonymous ones included.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError() from None  # "Malformed request."
