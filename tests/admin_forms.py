"""Build the POST an admin add/change page would send, from the page itself, so a test changes only what it means to."""

from __future__ import annotations

from typing import Any

from django import forms


def _form_fields(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bound in form:
        field = bound.field
        value = bound.value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        if isinstance(field, forms.FileField):
            continue
        if value is None:
            value = ""
        if isinstance(value, (list, tuple)) and not isinstance(field, forms.JSONField):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = value if isinstance(value, str) else str(value)
    return data


def page_form_data(response: Any) -> dict[str, Any]:
    """The values of the admin add/change page ``response`` (its form, every inline form and management form)."""
    data = _form_fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_fields(formset.management_form))
        for form in formset.forms:
            data.update(_form_fields(form))
    return data


def inline_row_add(data: dict[str, Any], prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    """``data`` with one more (new) row of inline ``prefix`` holding ``values``."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data = {**data, f"{prefix}-TOTAL_FORMS": str(index + 1)}
    data.update({f"{prefix}-{index}-{name}": value for name, value in values.items()})
    return data
