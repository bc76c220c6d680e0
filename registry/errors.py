"""The one domain error: raised by services with a message a clerk can act on.

It is Django's ValidationError (so forms and the admin show it as they show any validation
message) and the API turns it into a 400 with the same field-level messages.
"""

from django.core.exceptions import PermissionDenied, ValidationError


class DomainError(ValidationError):
    """A refused state change: bad input or a rule of docs/domain.md. Nothing was changed."""


class Forbidden(PermissionDenied):
    """The caller's role or institution does not allow this action."""
