from __future__ import annotations

import factory

from governance.models import AISystem


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    name = factory.Sequence(lambda n: f"AI system {n}")
    purpose = "Ranks job applications."
    business_unit = "HR"
