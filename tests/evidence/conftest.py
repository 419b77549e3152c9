"""Fixtures for the Django side of evidence packs: a configured signing key and a demo-like world.

The world is one high-risk AI system of vendor "OpenAI (via Azure OpenAI)", classified by alice, with one
obligation done (with evidence), a fairness audit with two monthly runs (the second one failing) and proxy-log
usage of ChatGPT ingested by discovery.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest

from audits.models import AuditDefinition, AuditRun
from audits.services import audit_run_execute, audit_run_schedule
from discovery.models import LogSource
from discovery.services import log_batch_ingest
from evidence.pack.keys import SigningKey
from governance.choices import ObligationStatus
from governance.models import AISystem
from governance.services import ai_system_classify, ai_system_register, obligation_evidence_add, obligation_update
from tests.audits.factories import AuditDefinitionFactory, write_outputs
from tests.discovery.factories import LogSourceFactory, ensure_catalog, squid_bytes
from tests.evidence.pack.support import FakeTsa, fixed_key, private_pem, with_other_imprint, with_other_nonce
from tests.governance.factories import HIGH_RISK_FACTS, ModelVersionFactory
from tests.notifications.conftest import http_receiver  # noqa: F401  (fixture)

SYSTEM_NAME = "Chat triage assistant"
SLOTS = (datetime(2026, 1, 1, 6, tzinfo=UTC), datetime(2026, 2, 1, 6, tzinfo=UTC))
MODEL_VERSIONS = ("triage-llm-1.0", "triage-llm-1.1")


@pytest.fixture
def current_key() -> SigningKey:
    return fixed_key(11)


@pytest.fixture(autouse=True)
def signing_settings(settings: Any, tmp_path_factory: pytest.TempPathFactory, current_key: SigningKey) -> Any:
    """The current key in a file, an empty trusted-keys directory, no TSA (in a directory of their own, apart from
    ``tmp_path``, which the pack-core tests under ``pack/`` unpack into)."""
    keys = tmp_path_factory.mktemp("keys")
    key_file = keys / "signing.pem"
    key_file.write_bytes(private_pem(current_key))
    settings.EVIDENCE_SIGNING_KEY_FILE = str(key_file)
    settings.EVIDENCE_SIGNING_KEY = ""
    settings.EVIDENCE_SIGNING_KEY_PASSWORD = ""
    settings.EVIDENCE_TRUSTED_KEYS_DIR = str(keys / "trusted")
    settings.EVIDENCE_TSA_URL = ""
    settings.EVIDENCE_TSA_CA_CERT = ""
    return settings


@dataclass
class World:
    system: AISystem
    runs: list[AuditRun]


@pytest.fixture
def world(alice: Any) -> World:
    # given a classified high-risk system with progress on its obligations
    system = ai_system_register(
        actor=alice,
        reason="inventory",
        data={
            "name": SYSTEM_NAME,
            "purpose": "Routes customer chats and drafts answers with an LLM.",
            "business_unit": "Customer Service",
            "vendor": "OpenAI (via Azure OpenAI)",
            "sourcing": "third_party",
            "roles": ["deployer"],
            "facts": HIGH_RISK_FACTS,
        },
    )
    ai_system_classify(system=system, actor=alice, reason="first classification")
    obligation = system.obligations.order_by("applies_from", "article").first()
    assert obligation is not None
    obligation_update(obligation=obligation, actor=alice, reason="done", data={"status": ObligationStatus.DONE})
    obligation_evidence_add(
        obligation=obligation,
        actor=alice,
        data={"description": "Signed instructions for use", "url": "https://intranet.example/ifu.pdf"},
    )
    # and a fairness audit with a passing and a failing month
    definition = cast(AuditDefinition, AuditDefinitionFactory(ai_system=system, name="Four-fifths check", n_boot=0))
    runs = []
    versions = [ModelVersionFactory(system=system, version=version) for version in MODEL_VERSIONS]
    for slot, bias, version in zip(SLOTS, (0.0, 0.3), versions, strict=True):
        write_outputs(f"world-{slot:%m}", bias=bias)
        definition.source_path = str(write_outputs("world-current", bias=bias))
        definition.model_version = version  # a new model release before the failing month
        definition.save()
        run, _ = audit_run_schedule(definition=definition, slot=slot, enqueue=False)
        executed = audit_run_execute(run_id=run.pk)
        assert executed is not None
        runs.append(executed)
    # and proxy logs showing ChatGPT (OpenAI) use
    ensure_catalog()
    log_batch_ingest(
        source=cast(LogSource, LogSourceFactory()),
        fileobj=io.BytesIO(squid_bytes()),
        name="access.log",
        synchronous=True,
    )
    system.refresh_from_db()
    return World(system=system, runs=runs)


@dataclass
class LoopbackTsa:
    """A real RFC 3161 TSA (``openssl ts -reply``) behind an HTTP handler on 127.0.0.1, configured in settings
    (``EVIDENCE_TSA_URL``, ``EVIDENCE_TSA_CA_CERT``). ``answer`` says how it answers the next requests: ``good``,
    or a forgery or failure (see :meth:`respond`); ``requests`` records the DER queries received."""

    url: str
    tsa: FakeTsa
    other: FakeTsa  # a working TSA under a CA nobody configured
    answer: str = "good"
    requests: list[bytes] = field(default_factory=list)

    def respond(self, request: bytes) -> tuple[int, bytes]:
        """``(HTTP status, body)`` for one query, per :attr:`answer`."""
        forgeries: dict[str, Callable[[], bytes]] = {
            "good": lambda: self.tsa.reply(request),
            "wrong_imprint": lambda: self.tsa.reply(with_other_imprint(request)),
            "wrong_nonce": lambda: self.tsa.reply(with_other_nonce(request)),
            "untrusted_tsa": lambda: self.other.reply(request),
            "rejected": self.tsa.reject,
            "garbage": lambda: b"<html><body>Service temporarily unavailable</body></html>",
        }
        if self.answer == "http_500":
            return 500, b"internal error"
        if self.answer == "slow":
            time.sleep(3)
        return 200, forgeries.get(self.answer, forgeries["good"])()


@pytest.fixture
def loopback_tsa(settings: Any, tmp_path: Path) -> Iterator[LoopbackTsa]:
    """A local RFC 3161 TSA over HTTP on an ephemeral 127.0.0.1 port, trusted through EVIDENCE_TSA_CA_CERT."""
    (tmp_path / "tsa").mkdir()
    (tmp_path / "other-tsa").mkdir()
    state = LoopbackTsa(url="", tsa=FakeTsa(tmp_path / "tsa"), other=FakeTsa(tmp_path / "other-tsa", name="Other"))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers["Content-Type"] != "application/timestamp-query":
                self.send_error(415)
                return
            state.requests.append(body)
            status, reply = state.respond(body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:  # the client gave up (the timeout case)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/tsr"
    settings.EVIDENCE_TSA_URL = state.url
    settings.EVIDENCE_TSA_CA_CERT = str(state.tsa.ca_file)
    settings.EVIDENCE_TSA_TIMEOUT = 1
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
