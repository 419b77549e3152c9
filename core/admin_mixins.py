"""Admin building blocks shared by the domain apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin


class ChangeReasonForm(forms.ModelForm):
    """Adds an optional 'reason for change' that is stored with the audit-trail record of the save."""

    change_reason = forms.CharField(
        required=False, max_length=100, help_text="Why this change is made; recorded in the audit trail."
    )


class AuditedAdmin(SimpleHistoryAdmin):
    """ModelAdmin with the History view (who, when, before/after) and a reason field on every change form."""

    form = ChangeReasonForm

    def save_model(self, request: HttpRequest, obj: models.Model, form: forms.ModelForm, change: bool) -> None:
        reason = form.cleaned_data.get("change_reason") if hasattr(form, "cleaned_data") else ""
        if reason:
            obj._change_reason = reason  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets and not any("change_reason" in (opts.get("fields") or ()) for _, opts in fieldsets):
            fieldsets = [*fieldsets, ("Audit trail", {"fields": ("change_reason",)})]
        return fieldsets
