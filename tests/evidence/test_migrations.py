"""The move of EvidencePack from audits to evidence keeps the data, the permissions and the audit-log links.

Data is written through the models of the schema before the move (``audits.0007``, no evidence app) and read back
through ``evidence.models`` after migrating forward.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps.registry import Apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import AuditLogEntry
from core.roles import AUDITOR
from evidence.models import EvidencePack
from evidence.services import DOWNLOAD_PERMISSION, REQUEST_PERMISSION

BEFORE_MOVE = ("audits", "0007_model_version_label_remove")
SHA = "ab" * 32


def _migrate_to_before_the_move() -> Apps:
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in ("audits", "evidence")]
    executor.migrate([*others, BEFORE_MOVE, ("evidence", None)])
    return executor.loader.project_state([*others, BEFORE_MOVE]).apps


def _migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _old_permission(old: Apps, app_label: str, codename: str) -> Any:
    content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label=app_label, model="evidencepack"
    )
    permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename}
    )
    return permission


@pytest.mark.django_db(transaction=True)
def test_a_pack_its_permissions_and_its_audit_trail_survive_the_move() -> None:
    # given the schema before the move, a built pack, a group and a user granted the pack permissions, the
    # Auditor role group, and an audit-log row about the pack
    old = _migrate_to_before_the_move()
    assert "evidence" not in {config.label for config in old.get_app_configs()}
    system = old.get_model("governance", "AISystem").objects.create(name="Legacy scorer", purpose="scoring")
    pack = old.get_model("audits", "EvidencePack").objects.create(
        ai_system_id=system.pk,
        requested_at=datetime(2026, 3, 1, tzinfo=UTC),
        status="built",
        sha256=SHA,
        size=1234,
        storage_key="evidence-packs/2026/03/legacy.zip",
        key_id="0123456789abcdef",
    )
    download = _old_permission(old, "audits", "download_evidencepack")
    request = _old_permission(old, "audits", "request_evidencepack")
    old_content_type_id = download.content_type_id
    group = old.get_model("auth", "Group").objects.create(name="Legacy reviewers")
    group.permissions.add(download)
    old.get_model("auth", "Group").objects.get_or_create(name=AUDITOR)[0].permissions.add(download)
    user_model = old.get_model(*get_user_model()._meta.label.split("."))
    reviewer = user_model.objects.create(username="reviewer", is_active=True)
    reviewer.groups.add(group)
    reviewer.user_permissions.add(request)
    auditor = user_model.objects.create(username="legacy-auditor", is_active=True)
    auditor.groups.add(old.get_model("auth", "Group").objects.get(name=AUDITOR))
    old.get_model("core", "AuditLogEntry").objects.create(
        event_type="evidence_pack.downloaded",
        target_content_type_id=old_content_type_id,
        target_object_id=str(pack.pk),
        target_repr="legacy pack",
    )
    # when
    _migrate_forward()
    # then the row reads back through the new app, unchanged
    moved = EvidencePack.objects.select_related("ai_system").get(pk=pack.pk)
    assert (moved.ai_system.name, moved.status, moved.sha256, moved.size) == ("Legacy scorer", "built", SHA, 1234)
    assert moved.storage_key == "evidence-packs/2026/03/legacy.zip"
    assert EvidencePack._meta.db_table == "audits_evidencepack"
    # and the same content-type row now belongs to evidence, so grants and audit links still resolve
    assert ContentType.objects.get_for_model(EvidencePack).pk == old_content_type_id
    assert not ContentType.objects.filter(app_label="audits", model="evidencepack").exists()
    users = get_user_model().objects
    assert users.get(username="reviewer").has_perm(DOWNLOAD_PERMISSION)
    assert users.get(username="reviewer").has_perm(REQUEST_PERMISSION)
    assert users.get(username="legacy-auditor").has_perm(DOWNLOAD_PERMISSION)
    assert users.get(username="legacy-auditor").has_perm(REQUEST_PERMISSION)  # auditors request packs (roles)
    entry = AuditLogEntry.objects.get(event_type="evidence_pack.downloaded")
    assert entry.target == moved


@pytest.mark.django_db(transaction=True)
def test_a_content_type_created_early_for_the_new_app_is_folded_into_the_old_one() -> None:
    # given the old content type with a group grant, and one already created for the evidence app (its
    # permissions made before the data migration ran) with a user grant
    old = _migrate_to_before_the_move()
    old_download = _old_permission(old, "audits", "download_evidencepack")
    new_download = _old_permission(old, "evidence", "download_evidencepack")
    new_only = _old_permission(old, "evidence", "request_evidencepack")
    group = old.get_model("auth", "Group").objects.create(name="Legacy reviewers")
    group.permissions.add(old_download)
    user_model = old.get_model(*get_user_model()._meta.label.split("."))
    early = user_model.objects.create(username="early", is_active=True)
    early.user_permissions.add(new_download, new_only)
    # when
    _migrate_forward()
    # then one content type is left, the old row, holding every grant
    content_types = ContentType.objects.filter(model="evidencepack")
    assert [(c.pk, c.app_label) for c in content_types] == [(old_download.content_type_id, "evidence")]
    assert Group.objects.get(name="Legacy reviewers").permissions.get().codename == "download_evidencepack"
    early_user = get_user_model().objects.get(username="early")
    assert early_user.has_perm(DOWNLOAD_PERMISSION) and early_user.has_perm(REQUEST_PERMISSION)
