from __future__ import annotations

import factory

from governance.models import AISystem, ModelVersion


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    name = factory.Sequence(lambda n: f"AI system {n}")
    purpose = "Ranks job applications."
    business_unit = "HR"
    roles = factory.LazyFunction(lambda: ["deployer"])
    facts = factory.LazyFunction(dict)


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    system = factory.SubFactory(AISystemFactory)
    version = factory.Sequence(lambda n: f"1.{n}.0")
    artifact_uri = "s3://models/example"


#: facts for the common cases (roles come from the system)
HIGH_RISK_FACTS = {"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}}
PROHIBITED_FACTS = {"art_5": {"emotion_recognition_workplace_or_education": True}}
LIMITED_FACTS = {"art_50": {"interacts_with_natural_persons": True}}
