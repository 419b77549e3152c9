"""Audit definitions link to the registry's model versions; each run records the version it audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from audits import services
from audits.models import AuditDefinition, AuditRun
from tests.audits.factories import AuditDefinitionFactory, write_outputs
from tests.governance.factories import AISystemFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_a_version_of_another_system_is_refused_by_the_service(alice: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    foreign = ModelVersionFactory()
    # when / then
    with pytest.raises(ValidationError) as caught:
        services.audit_definition_update(definition=definition, actor=alice, data={"model_version": foreign})
    assert "model_version" in caught.value.message_dict


def test_a_run_records_the_version_current_when_it_was_created(alice: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    first, second = (ModelVersionFactory(system=definition.ai_system, version=v) for v in ("2.0", "2.1"))
    services.audit_definition_update(definition=definition, actor=alice, data={"model_version": first})
    scheduled, _ = services.audit_run_schedule(definition=definition, enqueue=False)
    # when the model is released again and someone presses "run now"
    services.audit_definition_update(definition=definition, actor=alice, data={"model_version": second})
    requested = services.audit_run_request(definition=definition, actor=alice, enqueue=False)
    # then
    scheduled.refresh_from_db()
    assert scheduled.model_version == first
    assert requested.model_version == second


def test_the_api_links_filters_and_validates_model_versions(api: Any, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    system = AISystemFactory()
    version = ModelVersionFactory(system=system, version="ranker-3")
    other = AuditDefinitionFactory()
    payload = {
        "name": "API audit",
        "ai_system": system.pk,
        "model_version": version.pk,
        "source_type": "path",
        "source_path": str(write_outputs("mv-api")),
        "sensitive_features": ["sex"],
    }
    # when
    created = api.post(reverse("audits-api:auditdefinition-list"), payload, format="json")
    refused = api.post(
        reverse("audits-api:auditdefinition-list"),
        {**payload, "name": "Other", "model_version": ModelVersionFactory(system=other.ai_system).pk},
        format="json",
    )
    listed = api.get(reverse("audits-api:auditdefinition-list"), {"model_version": version.pk})
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["model_version"] == version.pk
    assert refused.status_code == 400 and "model_version" in str(refused.json())
    assert [d["id"] for d in listed.json()["results"]] == [created.json()["id"]]


def test_runs_show_their_model_version_in_the_api(api: Any, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    definition = AuditDefinitionFactory()
    version = ModelVersionFactory(system=definition.ai_system)
    services.audit_definition_update(definition=definition, actor=alice, data={"model_version": version})
    run = services.audit_run_request(definition=definition, actor=alice, enqueue=False)
    AuditDefinitionFactory()  # another definition's run must not match the filter
    # when
    response = api.get(reverse("audits-api:auditrun-list"), {"model_version": version.pk})
    # then
    assert [(r["id"], r["model_version"]) for r in response.json()["results"]] == [(run.pk, version.pk)]


def test_a_model_version_with_audit_runs_cannot_be_deleted(alice: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    version = ModelVersionFactory(system=definition.ai_system)
    services.audit_definition_update(definition=definition, actor=alice, data={"model_version": version})
    services.audit_run_request(definition=definition, actor=alice, enqueue=False)
    # when / then
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        version.delete()


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_free_text_versions_into_registry_links() -> None:
    # given the schema before the change, with a free-text version on a definition that has a run
    executor = MigrationExecutor(connection)
    executor.migrate([("audits", "0004_evidence_pack")])
    old = executor.loader.project_state([("audits", "0004_evidence_pack")]).apps
    system = old.get_model("governance", "AISystem").objects.create(name="Legacy scorer", purpose="scoring")
    definition = old.get_model("audits", "AuditDefinition").objects.create(
        name="Legacy audit", ai_system_id=system.pk, model_version=" gbm-7 "
    )
    old.get_model("audits", "AuditRun").objects.create(definition_id=definition.pk, slot="2026-01-01T06:00:00Z")
    # when
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then
    migrated = AuditDefinition.objects.select_related("model_version").get(pk=definition.pk)
    assert migrated.model_version is not None
    assert (migrated.model_version.system_id, migrated.model_version.version) == (system.pk, "gbm-7")
    assert AuditRun.objects.get(definition=migrated).model_version == migrated.model_version
