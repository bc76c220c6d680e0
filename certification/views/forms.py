"""What the pages share about forms."""

from django import forms
from django.core.exceptions import ValidationError


def errors_to_form(form: forms.Form, error: ValidationError, remap: dict[str, str] | None = None) -> None:
    """A service's refusal on the form: each message on its field when the form has that field
    (or the one `remap` names for it), else on top; a refusal without fields goes on top."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        target = remap.get(field) if remap and remap.get(field) in form.fields else field
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
