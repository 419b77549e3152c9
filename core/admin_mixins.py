"""Admin building blocks shared by the domain apps."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from core.field_access import hidden_fields, mask_change


class MaskingHistoryContextHelper(HistoricalRecordContextHelper):
    """Formats history diffs with the values of fields the viewer may not read masked (core.field_access)."""

    def __init__(self, model: Any, historical_record: Any, *, hidden: frozenset[str]) -> None:
        super().__init__(model, historical_record)
        self.hidden = hidden

    def format_delta_change(self, change: Any) -> Any:
        old, new = mask_change(change.field, change.old, change.new, self.hidden)
        return super().format_delta_change(dataclasses.replace(change, old=old, new=new))


class ChangeReasonForm(forms.ModelForm):
    """Adds an optional 'reason for change' that is stored with the audit-trail record of the save."""

    change_reason = forms.CharField(
        required=False, max_length=100, help_text="Why this change is made; recorded in the audit trail."
    )


class AuditedAdmin(SimpleHistoryAdmin):
    """ModelAdmin with the History view (who, when, before/after) and a reason field on every change form."""

    form = ChangeReasonForm

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # fields the user may not read are left out of the change, view and history-form pages alike
        hidden = hidden_fields(self.model, request.user)
        excluded = list(super().get_exclude(request, obj) or ())
        return [*excluded, *(name for name in hidden if name not in excluded)] or None

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = hidden_fields(self.model, request.user)
        return [name for name in super().get_fields(request, obj) if name not in hidden]

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        return MaskingHistoryContextHelper(
            self.model, historical_record, hidden=hidden_fields(self.model, request.user)
        )

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
