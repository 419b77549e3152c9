"""Demo evidence: one signed pack for the CV screening assistant (Annex III high risk, audited monthly), requested
by the auditor and built here, so an auditor exploring the demo has a pack to download and verify offline.
Idempotent: a system that already has a pack gets none."""

from __future__ import annotations

from typing import Any

from evidence.models import EvidencePack
from evidence.services import evidence_pack_build, evidence_pack_request
from governance.selectors import ai_system_list

DEMO_SYSTEM = "CV screening assistant"


def load(*, users: dict[str, Any]) -> None:
    """Request (as ``audrey``, the auditor) and build the demo pack; a build that cannot sign (no key with
    ``DEBUG`` off) leaves the pack ``failed`` with its reason, as any build would, and the demo goes on."""
    system = ai_system_list().filter(name=DEMO_SYSTEM).first()
    if system is None or EvidencePack.objects.filter(ai_system=system).exists():
        return
    pack = evidence_pack_request(
        ai_system=system, actor=users["audrey"], reason="demo data: the auditor's first pack", enqueue=False
    )
    evidence_pack_build(pack_id=pack.pk)
