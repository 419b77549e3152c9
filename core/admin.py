from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import PeriodicTask

from config.celery_schedule import PERIODIC_TASK_ALLOWLIST
from core.events import event_type_choices
from core.models import AuditLogEntry, WorkerHeartbeat
from core.selectors import user_history_references
from core.services import user_deactivate


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only/derived tables: visible to those with view permission, editable by nobody."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventTypeListFilter(admin.SimpleListFilter):
    """Filter by event type, offering every type in the registry (``core.events``), not only those already logged."""

    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return event_type_choices()

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["event_time", "event_type", "actor_name", "target_repr", "reason"]
    list_filter = [EventTypeListFilter, "target_content_type", ("event_time", admin.DateFieldListFilter)]
    search_fields = ["event_type", "target_repr", "reason", "acting_username", "acting_user__username"]
    date_hierarchy = "event_time"
    list_select_related = ["acting_user", "target_content_type"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_seen", "beats", "hostname"]


User = get_user_model()


@admin.action(description="Deactivate selected users (keeps their name on the audit trail)")
def deactivate_users(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    for user in queryset:
        user_deactivate(user=user, actor=request.user, reason="deactivated in the admin")
    modeladmin.message_user(request, f"{queryset.count()} account(s) deactivated.", messages.SUCCESS)


class AuditTrailUserAdmin(UserAdmin):
    """The user admin, refusing to delete accounts that change-history rows name (the delete page lists why) and
    offering deactivation instead."""

    actions = [deactivate_users]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected)
        for user in objs:
            references = user_history_references(user=user)
            if references:
                protected.append(
                    f"{user.get_username()}: named by {sum(references.values())} change-history row(s) "
                    f"({', '.join(sorted(references))}); deleting the account would erase who made those changes. "
                    "Deactivate it instead (action “Deactivate selected users”, or untick “Active”)."
                )
        return deleted, model_count, perms_needed, protected


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AuditTrailUserAdmin)


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
