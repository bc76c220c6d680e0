"""The pages put a service's refusal on the form, whatever its shape (certification/views/forms.py)."""

from django import forms

from certification.views.forms import errors_to_form
from registry.errors import DomainError


class Form(forms.Form):
    name = forms.CharField()
    scope = forms.CharField()


def bound() -> Form:
    form = Form(data={"name": "x", "scope": "y"})
    assert form.is_valid()
    return form


def test_field_messages_go_on_their_field_and_unknown_fields_on_top():
    form = bound()
    errors_to_form(form, DomainError({"name": ["姓名不符"], "number": ["编号不对"]}))
    assert form.errors["name"] == ["姓名不符"] and form.non_field_errors() == ["编号不对"]


def test_a_refusal_without_fields_goes_on_top_instead_of_failing():
    form = bound()
    errors_to_form(form, DomainError("本批次已锁定"))  # message_dict would raise AttributeError (a 500)
    assert form.non_field_errors() == ["本批次已锁定"]


def test_remapped_fields_go_on_the_field_that_stands_for_them():
    form = bound()
    errors_to_form(form, DomainError({"level": ["等级不在备案范围内"]}), remap={"level": "scope"})
    assert form.errors["scope"] == ["等级不在备案范围内"]
