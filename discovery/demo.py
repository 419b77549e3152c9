"""Demo discovery data for `manage.py demo`: two sources with realistic shadow-AI traffic, ingested synchronously.

Idempotent: the generated files depend only on the current week, so a second run produces the same bytes and
the ingestion sees a duplicate ``(source, sha256)`` and does nothing.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from discovery.choices import PolicyStatus
from discovery.models import AIService, LogSource, PolicyException
from discovery.services import (
    ai_service_policy_update,
    log_batch_ingest,
    log_source_create,
    policy_exception_create,
)

SQUID_SOURCE = "HQ Squid proxy"
ZEEK_SOURCE = "Branch Zeek sensor"

_USERS = ["CORP\\jdoe", "CORP\\asmith", "mlopez@corp.example", "CORP\\kchen", "CORP\\rpatel", "-"]
_NORMAL = [
    "www.google.com",
    "outlook.office365.com",
    "github.com",
    "www.wikipedia.org",
    "slack.com",
    "cdn.jsdelivr.net",
]
_AI = [
    ("CONNECT", "chatgpt.com:443", 0),
    ("POST", "https://chatgpt.com/backend-api/conversation", 4_000),
    ("CONNECT", "claude.ai:443", 0),
    ("POST", "https://chat.deepseek.com/api/v0/file/upload_file", 350_000),
    ("POST", "https://chat.deepseek.com/api/v0/chat/completion", 2_500),
    ("POST", "https://huggingface.co/api/datasets/acme/upload", 2_000_000),
    ("CONNECT", "gemini.google.com:443", 0),
    ("CONNECT", "www.perplexity.ai:443", 0),
]
_BRANCH_IPS = {
    "10.20.0.11": {"user": "tnguyen", "department": "Engineering"},
    "10.20.0.12": {"user": "bmeyer", "department": "Finance"},
    "10.20.0.13": {"user": "lrossi", "department": "Legal"},
}
_IDENTITY_MAP = {
    "jdoe": {"department": "Engineering"},
    "asmith": {"department": "Finance"},
    "mlopez": {"department": "Marketing"},
    "kchen": {"department": "Engineering"},
    "rpatel": {"department": "Legal"},
    **_BRANCH_IPS,
}


def _week_start() -> datetime:
    """Midnight UTC seven days ago: the demo week ends today, so "new this week" has something to show."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=7)


def squid_log(*, start: datetime, lines: int = 1500, seed: int = 4) -> bytes:
    """Squid native access.log lines: mostly normal traffic, some AI use and uploads, three malformed lines."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        ts = start + timedelta(seconds=i * 7 * 86400 // lines + rng.randint(0, 60))
        ip = f"10.10.0.{rng.randint(2, 40)}"
        user = rng.choice(_USERS)
        if rng.random() < 0.3:
            method, url, up = rng.choice(_AI)
        else:
            host = rng.choice(_NORMAL)
            method, url, up = ("CONNECT", f"{host}:443", 0) if rng.random() < 0.7 else ("GET", f"http://{host}/", 0)
        size = up + rng.randint(300, 90_000)
        out.append(
            f"{ts.timestamp():.3f} {rng.randint(5, 900)} {ip} TCP_TUNNEL/200 {size} {method} {url} {user} "
            f"HIER_DIRECT/203.0.113.{rng.randint(1, 250)} -"
        )
        if i in (100, 700, 1200):
            out.append(["garbage line without fields", "1699999999.1 12 10.0.0.1 BROKEN", "\x00\x01binary"][i % 3])
    return ("\n".join(out) + "\n").encode()


def zeek_http_log(*, start: datetime, lines: int = 400, seed: int = 7) -> bytes:
    """A Zeek http.log (TSV with headers) from a branch sensor: no user names, attributed by IP mapping."""
    rng = random.Random(seed)
    fields = [
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "method",
        "host",
        "uri",
        "request_body_len",
        "response_body_len",
        "status_code",
        "username",
    ]
    head = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\thttp",
        "#fields\t" + "\t".join(fields),
        "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tcount\tcount\tcount\tstring",
    ]
    hosts = [
        ("POST", "huggingface.co", "/api/models/acme/upload", 5_000_000),
        ("POST", "claude.ai", "/api/organizations/o1/upload", 80_000),
        ("POST", "chat.deepseek.com", "/api/v0/chat/completion", 3_000),
        ("GET", "intranet.corp.example", "/", 0),
        ("GET", "www.bbc.co.uk", "/news", 0),
        ("GET", "updates.example.net", "/check", 0),
    ]
    body = []
    for i in range(lines):
        ts = start + timedelta(seconds=i * 7 * 86400 // lines)
        method, host, uri, up = rng.choice(hosts)
        ip = rng.choice(list(_BRANCH_IPS))
        body.append(
            "\t".join(
                [
                    f"{ts.timestamp():.6f}",
                    f"C{seed}{i:06d}",
                    ip,
                    str(rng.randint(40000, 60000)),
                    "198.51.100.7",
                    "80",
                    method,
                    host,
                    uri,
                    str(up),
                    str(rng.randint(200, 50_000)),
                    "200",
                    "-",
                ]
            )
        )
    body.append("1699999999.000000\tCbroken\t10.20.0.11")  # a truncated record
    return ("\n".join(head + body) + "\n#close\t2026-01-01-00-00-00\n").encode()


def load(*, users: dict[str, Any]) -> None:
    """Create the demo sources and policies as ``sam`` and ingest a week of generated logs (idempotent)."""
    sam = users["sam"]
    squid = LogSource.objects.filter(name=SQUID_SOURCE).first() or log_source_create(
        actor=sam, reason="demo data", data={"name": SQUID_SOURCE, "log_format": "squid"}
    )
    if squid.identity_map != _IDENTITY_MAP:
        LogSource.objects.filter(pk=squid.pk).update(identity_map=_IDENTITY_MAP)
        squid.refresh_from_db()
    zeek = LogSource.objects.filter(name=ZEEK_SOURCE).first() or log_source_create(
        actor=sam,
        reason="demo data",
        data={"name": ZEEK_SOURCE, "log_format": "zeek", "identity_map": _IDENTITY_MAP},
    )
    chatgpt = AIService.objects.filter(slug="chatgpt").first()
    if chatgpt is not None and chatgpt.policy != PolicyStatus.SANCTIONED:
        ai_service_policy_update(
            service=chatgpt, policy=PolicyStatus.SANCTIONED, actor=sam, reason="demo: enterprise licence"
        )
    claude = AIService.objects.filter(slug="claude").first()
    if claude is not None and not PolicyException.objects.filter(service=claude, department="Engineering").exists():
        policy_exception_create(
            actor=sam,
            reason="demo: pilot",
            data={"service": claude, "department": "Engineering", "policy": "tolerated"},
        )
    start = _week_start()
    log_batch_ingest(
        source=squid, fileobj=io.BytesIO(squid_log(start=start)), name="access.log", actor=sam, synchronous=True
    )
    log_batch_ingest(
        source=zeek, fileobj=io.BytesIO(zeek_http_log(start=start)), name="http.log", actor=sam, synchronous=True
    )
