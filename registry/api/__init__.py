"""The registry's API, and the one place a domain error becomes an HTTP error."""

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import exception_handler as drf_exception_handler

ErrorOut = inline_serializer("Error", {"detail": serializers.CharField()})
FieldErrorsOut = inline_serializer(
    "FieldErrors", {"field": serializers.ListField(child=serializers.CharField(), required=False)}
)
ERROR_RESPONSES = {
    400: OpenApiResponse(FieldErrorsOut, description="Refused: field-level messages say why; nothing changed."),
    403: OpenApiResponse(ErrorOut, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorOut, description="Not found within what you may see."),
}


def exception_handler(exc, context):
    """DomainError (a Django ValidationError) → 400 with field messages; Forbidden → 403."""
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)


class AnswerInJSON(BaseContentNegotiation):
    """Content negotiation for an endpoint that answers in JSON only (DRF's documented
    "IgnoreClientContentNegotiation"): the body is parsed by its Content-Type as with the
    default negotiation (none of the parsers: 415), and the answer is JSON whatever the Accept
    header asks. Parsing the Accept header cost the public verification endpoint, the
    registry's most frequent request, a good part of what its database look-up costs."""

    def select_parser(self, request, parsers):
        content_type = request.content_type.split(";", 1)[0].strip().lower()
        return next((parser for parser in parsers if parser.media_type == content_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
