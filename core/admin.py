from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import PeriodicTask

from config.celery_schedule import PERIODIC_TASK_ALLOWLIST
from core.models import AuditLogEntry, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only/derived tables: visible to those with view permission, editable by nobody."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["event_time", "event_type", "acting_user", "target_repr", "reason"]
    list_filter = ["event_type", "target_content_type", ("event_time", admin.DateFieldListFilter)]
    search_fields = ["event_type", "target_repr", "reason", "acting_user__username"]
    date_hierarchy = "event_time"
    list_select_related = ["acting_user", "target_content_type"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_seen", "beats", "hostname"]


# --- django-celery-beat: periodic tasks restricted to the service's own schedule for non-superusers --------------


class AllowListPeriodicTaskForm(PeriodicTaskForm):
    """``PeriodicTaskForm`` whose task (registered or custom) must be in ``PERIODIC_TASK_ALLOWLIST`` unless the
    editing user is a superuser: a compliance officer edits the schedules, but cannot schedule an arbitrary task."""

    allow_any_task = False  # set per request by the admin

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.allow_any_task:
            self.fields["regtask"] = forms.ChoiceField(
                label=self.fields["regtask"].label,
                required=False,
                choices=[("", ""), *((name, name) for name in sorted(PERIODIC_TASK_ALLOWLIST))],
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        task = data.get("task")
        if not self.allow_any_task and task and task not in PERIODIC_TASK_ALLOWLIST:
            self.add_error("task", f"{task} is not one of the service's periodic tasks.")
        return data


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class AllowListPeriodicTaskAdmin(PeriodicTaskAdmin):
    form = AllowListPeriodicTaskForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.allow_any_task = bool(getattr(request.user, "is_superuser", False))  # a fresh class per call
        return form
