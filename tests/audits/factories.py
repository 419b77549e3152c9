from __future__ import annotations

import factory

from audits.models import AuditDefinition
from tests.governance.factories import AISystemFactory


class AuditDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditDefinition

    name = factory.Sequence(lambda n: f"Audit {n}")
    ai_system = factory.SubFactory(AISystemFactory)
