"""docker-compose.yml as Compose reads it: YAML with its merge keys resolved, then variable interpolation
(``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``,
``${VAR:+alt}``, ``${VAR+alt}``, nested in defaults), as the Compose Specification's "Interpolation" section says."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PATH = ROOT / "docker-compose.yml"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?", re.S)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")


class MissingVariable(ValueError):
    """A ``${VAR:?error}`` whose variable is unset (or empty)."""


def load_compose() -> dict[str, Any]:
    """The file as YAML gives it (``<<: *app`` merged), before interpolation."""
    document = yaml.safe_load(COMPOSE_PATH.read_text())
    assert isinstance(document, dict)
    return document


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
            continue
        following = text[i + 1 : i + 2]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            end = _closing_brace(text, i + 1)
            out.append(_expand(text[i + 2 : end], variables))
            i = end + 1
        elif match := _NAME.match(text, i + 1):
            out.append(variables.get(match.group(0), ""))
            i = match.end()
        else:
            raise ValueError(f"invalid interpolation at {i} in {text!r}")
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unclosed ${{ in {text!r}")


def _expand(body: str, variables: Mapping[str, str]) -> str:
    match = _BRACED.fullmatch(body)
    if match is None:
        raise ValueError(f"invalid interpolation ${{{body}}}")
    name, operator, argument = match.groups()
    value = variables.get(name)
    if operator is None:
        return value or ""
    missing = value is None or (operator.startswith(":") and value == "")
    if operator.endswith("-"):
        return interpolate(argument, variables) if missing else str(value)
    if operator.endswith("?"):
        if missing:
            raise MissingVariable(f"{name}: {interpolate(argument, variables)}")
        return str(value)
    return "" if missing else interpolate(argument, variables)  # "+"


def interpolate_all(node: Any, variables: Mapping[str, str]) -> Any:
    """Every string value in the document interpolated (keys are not, as in Compose)."""
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [interpolate_all(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_all(value, variables) for key, value in node.items()}
    return node


def duration_seconds(value: str) -> float:
    """A Compose duration (``1m30s``, ``10s``, ``500ms``) in seconds."""
    factors = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = _DURATION.findall(value)
    assert parts and "".join(n + u for n, u in parts) == value, value
    return sum(float(number) * factors[unit] for number, unit in parts)
