"""The registry's API, and the one place a domain error becomes an HTTP error."""

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
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
