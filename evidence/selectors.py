"""Reads for evidence packs."""

from __future__ import annotations

from django.db.models import QuerySet

from evidence.models import EvidencePack


def evidence_pack_list() -> QuerySet[EvidencePack]:
    return EvidencePack.objects.select_related("ai_system", "audit_run", "requested_by")
