"""Admin building blocks shared by the domain apps."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from core.field_access import hidden_fields, mask_change


class MaskingHistoryContextHelper(HistoricalRecordContextHelper):
    """Formats history diffs with the values of fields the viewer may not read masked (core.field_access)."""

    def __init__(self, model: Any, historical_record: Any, *, hidden: frozenset[str]) -> None:
        super().__init__(model, historical_record)
        self.hidden = hidden

    def format_delta_change(self, change: Any) -> Any:
        """Masked first (fields the viewer may not read), then readable: a JSON object shows only the keys that
        changed (``answers: role: provider`` rather than ``{'rol[1069 chars]s': ...}``), a choice its label, a
        foreign key the related object."""
        old, new = mask_change(change.field, change.old, change.new, self.hidden)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
            old, new = _json_lines(old, keys), _json_lines(new, keys)
        return super().format_delta_change(dataclasses.replace(change, old=old, new=new))

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if field.is_relation and field.many_to_one and value is not None and not isinstance(value, list | dict):
            related = field.related_model._default_manager.filter(pk=value).first()
            return str(related) if related is not None else f"#{value} (deleted)"
        if getattr(field, "choices", None) and isinstance(value, str | int):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)

    def get_obj_diff_display(self) -> Any:
        return ObjDiffDisplay(max_length=DIFF_DISPLAY_CHARS)


#: how much of a changed value the History page shows before it shortens it (django-simple-history shows 100)
DIFF_DISPLAY_CHARS = 600


def _json_lines(value: dict[str, Any], keys: list[str]) -> str:
    """The ``keys`` of a JSON object as ``key: value`` pairs (absent keys as ``—``), for a History diff."""
    import json

    return "; ".join(
        f"{key}: {json.dumps(value[key], ensure_ascii=False, default=str) if key in value else '—'}" for key in keys
    )


class ChangeReasonForm(forms.ModelForm):
    """Adds a 'reason for change', stored with the audit-trail record of the save: required when an existing
    object is changed (an auditor reading the history asks why), optional when one is created."""

    change_reason = forms.CharField(
        required=False,
        max_length=100,
        help_text="Why this change is made; recorded in the audit trail (required to change an existing record).",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None and self.has_changed() and not (cleaned.get("change_reason") or "").strip():
            self.add_error("change_reason", "Say why this change is made: it is kept in the audit trail.")
        return cleaned


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """The History pages (who, when, before/after) without django-simple-history's *Revert*: a revert saved a
    historical version's form straight over the object, around the services that reclassify, mark stale and audit
    (it once blanked a production system's questionnaire with reason "None"). A past version is shown read-only;
    to go back, change the object through its change form (or the API), with a reason, so the services run.
    ``SIMPLE_HISTORY_REVERT_DISABLED`` hides the button; a POST to the version page is refused here."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("Reverting to a past version is disabled: change the record through its form.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class AuditedAdmin(ReadOnlyHistoryAdmin):
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


#: the reason recorded for a delete made in the admin (its delete pages ask for none)
ADMIN_DELETE_REASON = "deleted in the admin"


def change_reason(form: Any, default: str = "") -> str:
    """The 'reason for change' typed on a :class:`ChangeReasonForm` (``default`` when empty or absent)."""
    cleaned = getattr(form, "cleaned_data", None) or {}
    return str(cleaned.get("change_reason") or default)


def form_data(form: forms.ModelForm, *, changed_only: bool) -> dict[str, Any]:
    """The model-field values of a bound, valid admin form, for a service's ``data`` (all, or only those changed),
    without the formset bookkeeping (``id``, ``DELETE``) and the reason field."""
    model_fields = {f.name for f in form._meta.model._meta.get_fields()}
    names = form.changed_data if changed_only else list(form.cleaned_data)
    return {
        name: form.cleaned_data[name]
        for name in names
        if name in form.cleaned_data and name in model_fields and name not in ("id", "change_reason")
    }


def stored[M: models.Model](obj: M) -> M:
    """A fresh copy of ``obj`` from the database: the admin's form has already applied the edits to ``obj``, and a
    service must see the values before the change (to record before/after)."""
    return type(obj)._default_manager.get(pk=obj.pk)


def formset_save_through(
    formset: Any,
    *,
    create: Callable[[dict[str, Any]], Any],
    update: Callable[[Any, dict[str, Any]], Any],
    delete: Callable[[Any], None],
) -> None:
    """Save an inline formset row by row through services instead of ``formset.save()``: ``delete(instance)`` for
    a row marked for deletion, ``update(stored instance, changed fields)`` for a changed row, ``create(fields with
    the parent set)`` for a new one. Fills ``new_objects``/``changed_objects``/``deleted_objects`` as
    ``formset.save()`` would, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    fk_name = formset.fk.name
    for item in formset.initial_forms:
        instance = item.instance
        if instance.pk is None:
            continue
        if formset.can_delete and formset._should_delete_form(item):
            delete(stored(instance))
            formset.deleted_objects.append(instance)
        elif item.has_changed():
            data = form_data(item, changed_only=True)
            data.pop(fk_name, None)
            if data:
                update(stored(instance), data)
                formset.changed_objects.append((instance, item.changed_data))
    for item in formset.extra_forms:
        if not item.has_changed() or (formset.can_delete and formset._should_delete_form(item)):
            continue
        data = {**form_data(item, changed_only=False), fk_name: formset.instance}
        created = create(data)
        item.instance = created
        formset.new_objects.append(created)
