"""Shared test helpers for the parser tests (no Django)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from discovery.parsers.base import ParseStats, ProxyEvent, parse_lines
from discovery.parsers.registry import get_parser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def parse_fixture(
    format_name: str, name: str, options: Mapping[str, Any] | None = None
) -> tuple[list[ProxyEvent], ParseStats]:
    stats = ParseStats()
    events = list(parse_lines(get_parser(format_name, options=options), fixture_lines(name), stats))
    return events, stats


def project(event: ProxyEvent, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``event`` named in ``fields`` (so a table row lists only what it asserts)."""
    return {key: getattr(event, key) for key in fields}


def assert_storable_sample(sample: dict[str, Any], lines: int) -> None:
    """A malformed sample as PostgreSQL ``jsonb`` takes it: text without NUL or lone surrogates, bounded."""
    assert set(sample) == {"line", "error", "text"}
    assert type(sample["line"]) is int and 1 <= sample["line"] <= lines
    for key in ("error", "text"):
        value = sample[key]
        assert isinstance(value, str) and len(value) <= 500
        assert "\x00" not in value
        value.encode("utf-8")  # raises on a lone surrogate
    json.dumps(sample, ensure_ascii=False).encode("utf-8")
