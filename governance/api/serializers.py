from __future__ import annotations

from rest_framework import serializers

from governance.models import AISystem


class AISystemSerializer(serializers.ModelSerializer[AISystem]):
    class Meta:
        model = AISystem
        fields = [
            "id",
            "name",
            "purpose",
            "business_unit",
            "business_owner",
            "technical_owner",
            "lifecycle_stage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["lifecycle_stage", "created_at", "updated_at"]
