from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_celery_beat.admin import PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import PeriodicTask

from config.celery_schedule import PERIODIC_TASK_ALLOWLIST
from core.events import event_type_choices
from core.models import ApiToken, AuditLogEntry, WorkerHeartbeat
from core.selectors import api_token_visible_to, user_history_references
from core.services import api_token_create, api_token_revoke, user_deactivate


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


# --- identity: personal API tokens (issue 18) -----------------------------------------------------------------------


class ApiTokenCreateForm(forms.Form):
    """A new token: a name and a lifetime; a superuser may create one for another account."""

    name = forms.CharField(max_length=100, help_text="What the token is for (e.g. 'CI pipeline').")
    expires_in_days = forms.IntegerField(min_value=1, help_text="Days until it expires.")
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = self.fields["expires_in_days"]
        days.initial = settings.API_TOKEN_DEFAULT_DAYS
        days.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        days.widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
        days.help_text = f"Days until it expires (at most {settings.API_TOKEN_MAX_DAYS})."
        if user.is_superuser:
            self.fields["user"].initial = user.pk
            self.fields["user"].help_text = "Whose token it is (yours when left empty)."
        else:
            del self.fields["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Self-service API tokens: every staff user lists, creates and revokes their own; superusers see everyone's.
    Creating shows the token once; tokens are never edited or deleted here, only revoked (the row stays)."""

    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at", "status"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.DateFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke_tokens"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return api_token_visible_to(user=request.user)

    def _staff(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self._staff(request):
            return False
        return obj is None or obj.user_id == request.user.pk or bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="status")
    def status(self, obj: ApiToken) -> str:
        if obj.is_revoked:
            return "revoked"
        return "expired" if obj.is_expired(now=timezone.now()) else "active"

    @admin.action(description="Revoke selected API tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: Any) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):  # the queryset is already narrowed to visible tokens
            api_token_revoke(token=token, actor=request.user, reason="revoked in the admin")
            revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """A form of its own instead of the model form: the service makes the token, and the response shows its
        secret this once (rendered, never put in a message or a redirect, and not cached)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiTokenCreateForm(request.POST or None, user=request.user)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form}
        if request.method == "POST" and form.is_valid():
            owner = form.cleaned_data.get("user") or request.user
            token, plaintext = api_token_create(
                user=owner,
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=form.cleaned_data["expires_in_days"]),
                actor=request.user,
                reason="created in the admin",
            )
            context.update({"token": token, "plaintext": plaintext, "title": "API token created"})
            response = render(request, "admin/core/apitoken/created.html", context)
        else:
            context["title"] = "Create an API token"
            response = render(request, "admin/core/apitoken/add.html", context)
        add_never_cache_headers(response)
        return response
