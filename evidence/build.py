"""Render one evidence pack: collect the data, draw the PDF, sign with the configured key, optionally timestamp.

No database writes here: :func:`evidence_pack_render` is a pure function of the database state, ``created_at`` and
``pack_id``, so the stored-pack service, the Celery task and ``manage.py build_evidence_pack`` all produce the same
bytes for the same inputs (a trusted timestamp, when configured, is the one part that differs between builds: the
TSA signs a fresh time and nonce; every other file and the manifest stay identical).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from evidence.collect import Period, evidence_collect
from evidence.pack import SigningKey, build_manifest, build_pack
from evidence.signing import key_page_url, signing_key_load, timestamp_fetch, tsa_configured

if TYPE_CHECKING:  # annotations only: other apps' data is read through their selectors
    from audits.models import AuditRun
    from governance.models import AISystem

#: namespace of the deterministic pack ids given to packs built outside the database (the command's --out mode)
PACK_ID_NAMESPACE = uuid.UUID("6f1d9c0e-5a4b-5d8e-9b7a-3c2e1f0a9b8c")


def generator_version() -> str:
    try:
        return f"aigov {importlib.metadata.version('aigov')}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "aigov (source tree)"


def deterministic_pack_id(*, system_id: int, run_id: int | None, period: Period | None, created_at: datetime) -> str:
    """A UUIDv5 of the pack's inputs: the same request gives the same id (and so the same bytes)."""
    name = f"system={system_id};run={run_id};period={period.as_dict() if period else None};at={created_at.isoformat()}"
    return str(uuid.uuid5(PACK_ID_NAMESPACE, name))


def pack_created_at(moment: datetime) -> datetime:
    """The pack time: UTC, rounded *up* to a whole second, so rows written earlier in that second are included."""
    utc = moment.astimezone(UTC)
    if utc.microsecond:
        utc = utc.replace(microsecond=0) + timedelta(seconds=1)
    return utc


@dataclass(frozen=True)
class RenderedPack:
    data: bytes
    sha256: str
    key_id: str
    law_version: str
    timestamped: bool
    metadata: dict[str, Any]
    timestamp_gen_time: datetime | None = None  # the genTime of the verified RFC 3161 token, when timestamped

    @property
    def size(self) -> int:
        return len(self.data)


def evidence_pack_render(
    *,
    system: AISystem,
    created_at: datetime,
    pack_id: str,
    period: Period | None = None,
    run: AuditRun | None = None,
    signing_key: SigningKey | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> RenderedPack:
    """Build the signed ZIP for ``system`` (and ``period``) or one audit ``run``. ``progress(percent, step)`` is
    called between the steps so a caller can show it."""
    from evidence.report import render_report  # reportlab: loaded when a pack is drawn, not when the app starts

    def report(percent: int, step: str) -> None:
        if progress is not None:
            progress(percent, step)

    created_at = pack_created_at(created_at)
    key = signing_key or signing_key_load()
    report(10, "collecting data")
    collected = evidence_collect(
        system=system,
        created_at=created_at,
        pack_id=pack_id,
        generator_version=generator_version(),
        period=period,
        run=run,
    )
    report(50, "drawing the report")
    files = {**collected.files, "report.pdf": render_report(collected.report, collected.chart_png)}
    report(80, "signing")
    inputs: dict[str, Any] = {
        "files": files,
        "metadata": collected.metadata,
        "signing_key": key,
        "created_at": created_at,
        "key_page_url": key_page_url(),
    }
    # With a TSA configured the token is verified (nonce, imprint, genTime, signature, chain) before it is stored;
    # one that fails raises and the pack is not built: a pack never carries an unverified timestamp.
    timestamp = (
        timestamp_fetch(build_manifest(**inputs, timestamped=True), created_at=created_at) if tsa_configured() else None
    )
    data = build_pack(**inputs, timestamp=timestamp)
    return RenderedPack(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        key_id=key.key_id,
        law_version=str(collected.metadata["law_version"]),
        timestamped=timestamp is not None,
        metadata=collected.metadata,
        timestamp_gen_time=timestamp.gen_time if timestamp is not None else None,
    )
