"""Reads for shared infrastructure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from core import tokens
from core.models import ApiToken, AuditLogEntry, WorkerHeartbeat


def audit_log_list() -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.select_related("acting_user", "target_content_type")


def usernames_by_id(*, user_ids: Iterable[Any]) -> dict[Any, str]:
    """``{user id: username}`` of the accounts among ``user_ids`` that exist (ids of deleted accounts are left out)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.pk: u.get_username() for u in get_user_model().objects.filter(pk__in=ids)}


def heartbeat_age(*, name: str) -> timedelta | None:
    """Time since the named heartbeat last ran, or ``None`` if it never ran."""
    heartbeat = WorkerHeartbeat.objects.filter(name=name).first()
    return None if heartbeat is None else timezone.now() - heartbeat.last_seen


def heartbeat_ages() -> dict[str, timedelta]:
    """``{heartbeat name: time since it last ran}`` of every heartbeat that ever ran (what ``/healthz`` reports for
    one, :func:`heartbeat_age`)."""
    now = timezone.now()
    return {name: now - last_seen for name, last_seen in WorkerHeartbeat.objects.values_list("name", "last_seen")}


class BrokerUnavailable(Exception):
    """The Celery broker could not be reached (or failed) while reading queue lengths."""


#: kombu transports whose queue length :func:`celery_queue_lengths` reads (both are kombu virtual transports, whose
#: passive ``queue_declare`` returns the number of waiting messages: Redis ``LLEN`` over the priority lists, the
#: SQLAlchemy transport a count of the visible rows of ``kombu_message``)
_QUEUE_LENGTH_TRANSPORTS = frozenset({"redis", "sql"})  # kombu driver types


def celery_queue_lengths(
    *, broker_url: str, queues: Iterable[str], transport_options: dict[str, object] | None = None, timeout: float = 3.0
) -> dict[str, int] | None:
    """``{queue: messages waiting}`` read from the broker now, or ``None`` for a broker whose queue lengths this
    cannot read (only Redis and the embedded SQLAlchemy broker are supported). A queue nobody declared yet has 0.

    Raises :class:`BrokerUnavailable` when the broker cannot be reached within about ``timeout`` seconds. Read-only
    on Redis; on the SQLAlchemy broker a queue no worker has declared yet gets its ``kombu_queue`` row (as a worker
    starting would create it)."""
    from kombu import Connection
    from kombu.exceptions import ChannelError, OperationalError

    connection = Connection(broker_url, transport_options=dict(transport_options or {}), connect_timeout=timeout)
    try:
        try:
            driver_type = connection.transport.driver_type
        except ImportError:  # a transport whose client library is not installed: certainly not one we read
            return None
        if driver_type not in _QUEUE_LENGTH_TRANSPORTS:
            return None
        try:
            connection.ensure_connection(max_retries=0, timeout=timeout)  # one try: a scrape must not hang
            channel = connection.channel()
        except (OperationalError, OSError) as exc:
            raise BrokerUnavailable(str(exc)) from exc
        lengths: dict[str, int] = {}
        try:
            for queue in queues:
                try:
                    lengths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
                except ChannelError:
                    lengths[queue] = 0  # never declared (Redis: no list yet): nothing waiting
        except Exception as exc:  # redis.ConnectionError, sqlalchemy.exc.OperationalError: the broker failed midway
            raise BrokerUnavailable(str(exc)) from exc
        finally:
            # The SQLAlchemy channel keeps its ORM session (and so a read transaction on the broker file) open until
            # garbage-collected: end it now.
            session = getattr(channel, "_session", None)
            if session is not None:
                session.close()
            channel.close()
        return lengths
    finally:
        connection.release()


def user_history_references(*, user: Any) -> dict[str, int]:
    """Change-history rows (django-simple-history, every model) that name ``user`` as who made the change:
    ``{"<app_label>.<historical model>": count}``, only non-zero counts. These rows keep only the account link, so
    while any exist the account must not be deleted (see :func:`core.services.user_delete_guard`)."""
    from django.apps import apps

    counts: dict[str, int] = {}
    for model in apps.get_models():
        if getattr(model, "instance_type", None) is None or not hasattr(model, "history_user"):
            continue  # not a historical model
        count = model._default_manager.filter(history_user=user).count()
        if count:
            counts[model._meta.label_lower] = count
    return counts


# --- identity: API tokens (issue 18) --------------------------------------------------------------------------------


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The API tokens ``user`` owns, newest first (revoked and expired ones included, for the record)."""
    return ApiToken.objects.filter(user=user).select_related("user", "revoked_by")


def api_token_visible_to(*, user: Any) -> QuerySet[ApiToken]:
    """The tokens the admin lists for ``user``: every token for a superuser, otherwise only their own."""
    queryset = ApiToken.objects.select_related("user", "revoked_by")
    return queryset if getattr(user, "is_superuser", False) else queryset.filter(user=user)


def api_token_for_plaintext(*, plaintext: str) -> ApiToken | None:
    """The token whose SHA-256 is that of ``plaintext`` (whatever its state), with its user, or ``None``."""
    return ApiToken.objects.select_related("user").filter(key_hash=tokens.token_hash(plaintext)).first()
