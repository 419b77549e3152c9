from __future__ import annotations

import importlib
from typing import Any

import factory
from django.apps import apps

from discovery.models import AIService, LogSource


class LogSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LogSource

    name = factory.Sequence(lambda n: f"Proxy {n}")
    log_format = "squid"


def ensure_catalog() -> None:
    """Re-run the seed data migration if a transactional test elsewhere flushed the tables."""
    if not AIService.objects.exists():
        importlib.import_module("discovery.migrations.0003_seed_ai_catalog").seed(apps, None)


# Squid native lines (ts elapsed client code/status bytes method url user hier type), 2026-03-02 UTC.
SQUID_LINES = [
    "1772445600.000 120 10.0.0.5 TCP_TUNNEL/200 5000 CONNECT chatgpt.com:443 CORP\\JDoe HIER_DIRECT/1.2.3.4 -",
    "1772445660.000 80 10.0.0.5 TCP_MISS/200 2500 POST https://chat.deepseek.com/api/v0/file/upload_file "
    "jdoe@corp.example HIER_DIRECT/1.2.3.5 application/json",
    "1772445720.000 50 10.0.0.6 TCP_TUNNEL/200 900 CONNECT www.wikipedia.org:443 asmith HIER_DIRECT/1.2.3.6 -",
    "this is not a squid line",
    "1772445780.000 70 10.0.0.7 TCP_TUNNEL/200 1200 CONNECT claude.ai:443 - HIER_DIRECT/1.2.3.7 -",
    "1772532180.000 70 10.0.0.5 TCP_TUNNEL/200 700 CONNECT chatgpt.com:443 corp\\jdoe HIER_DIRECT/1.2.3.4 -",
    "1772532240.000 60 10.0.0.6 TCP_TUNNEL/200 300 CONNECT claude.ai:443 asmith HIER_DIRECT/1.2.3.7 -",
    "1772532300.000 EIGHT 10.0.0.6 broken",
]


def squid_bytes(lines: list[str] | None = None) -> bytes:
    return ("\n".join(lines or SQUID_LINES) + "\n").encode()


def identity_map() -> dict[str, Any]:
    return {
        "jdoe": {"department": "Engineering"},
        "asmith": {"department": "Finance", "groups": ["ai-pilot"]},
        "10.0.0.7": {"user": "kchen", "department": "Legal"},
    }
