"""List the licences of the service's runtime dependencies; fail on a GPL/AGPL-only one (issue 18).

Usage: ``.venv/bin/python scripts/check_licences.py`` (prints one line per distribution; exit status 1 when a
dependency is under a licence this Apache-2.0 project cannot be combined with, or declares none).

The dependencies are those the installed ``aigov`` distribution requires (not its ``dev`` extra: test and lint tools
are not shipped with the service), followed through the installed distributions' own requirements and the extras
asked for. A distribution's licence is read from its metadata (``importlib.metadata``): the SPDX
``License-Expression`` when it has one, else the ``License`` field (when it is a name, not the whole text) and the
``License ::`` classifiers. Strong copyleft (GPL, AGPL, SSPL) is refused unless an ``OR`` gives another choice;
the LGPL is allowed (a library the service imports unchanged; psycopg and python-crontab are LGPL-3.0).
``REVIEWED`` holds the exceptions a person checked, each with why.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from dataclasses import dataclass

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT_DISTRIBUTION = "aigov"

#: distribution -> why its licence was accepted after a review (none so far)
REVIEWED: dict[str, str] = {}

_STRONG_SPDX = re.compile(r"^(A?GPL|SSPL)(-|$)", re.IGNORECASE)
_STRONG_TEXT = re.compile(r"(?<![A-Za-z])(A?GPL|SSPL)|GNU (Affero )?General Public", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Licence:
    """What a distribution's metadata says of its licence, and the verdict."""

    distribution: str
    version: str
    declared: str  # what was read, for the listing
    refused: bool
    reason: str = ""


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(root: str = ROOT_DISTRIBUTION) -> list[metadata.Distribution]:
    """The installed distributions ``root`` needs at run time (its requirements, theirs, and the extras asked for),
    ``root`` included, sorted by name."""
    installed = {normalize(d.metadata["Name"]): d for d in metadata.distributions()}
    wanted: dict[str, set[str]] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = normalize(name)
        distribution = installed.get(key)
        if distribution is None or (key in wanted and extras <= wanted[key]):
            continue  # not installed (a requirement of another platform or Python) or already followed
        wanted.setdefault(key, set()).update(extras)
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or _applies(requirement.marker, wanted[key]):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return [installed[key] for key in sorted(wanted)]


def _applies(marker: Marker, extras: set[str]) -> bool:
    """Whether a requirement's marker holds here, for the extras asked for (none: the plain requirements)."""
    if "extra" not in str(marker):
        return marker.evaluate({"extra": ""})
    return any(marker.evaluate({"extra": extra}) for extra in extras)


def spdx_refused(expression: str) -> bool:
    """Whether an SPDX expression leaves no choice but a strong copyleft licence: every ``OR`` alternative holds
    one (``(`` ``)`` grouping is read loosely: alternatives are split at every ``OR``)."""
    alternatives = re.split(r"\s+OR\s+", expression.replace("(", " ").replace(")", " "), flags=re.IGNORECASE)
    return all(
        any(_STRONG_SPDX.match(token) for token in re.split(r"\s+(?:AND|WITH)\s+|\s+", alternative.strip()) if token)
        for alternative in alternatives
    )


def licence_of(distribution: metadata.Distribution) -> Licence:
    """The licence verdict of one distribution from its metadata."""
    meta = distribution.metadata
    name, version = meta["Name"], meta["Version"]
    if name in REVIEWED:
        return Licence(name, version, f"reviewed: {REVIEWED[name]}", refused=False)
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        refused = spdx_refused(expression)
        return Licence(name, version, expression, refused, "strong copyleft, no alternative" if refused else "")
    field = (meta.get("License") or "").strip()
    short = field if field and "\n" not in field and len(field) <= 100 else ""  # a name, not the licence text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    declared = "; ".join(filter(None, [short, *classifiers]))
    if not declared:
        return Licence(name, version, "(none declared)", refused=True, reason="no licence in its metadata")
    strong = [text for text in [short, *classifiers] if text and _STRONG_TEXT.search(text)]
    if strong:
        return Licence(name, version, declared, refused=True, reason=f"strong copyleft: {', '.join(strong)}")
    return Licence(name, version, declared, refused=False)


def check(root: str = ROOT_DISTRIBUTION) -> list[Licence]:
    """The licence of every runtime dependency of ``root`` (``root`` itself left out)."""
    return [licence_of(d) for d in runtime_closure(root) if normalize(d.metadata["Name"]) != normalize(root)]


def main() -> int:
    licences = check()
    for licence in licences:
        mark = "REFUSED" if licence.refused else "ok"
        why = f"  ({licence.reason})" if licence.reason else ""
        print(f"{mark:8} {licence.distribution:32} {licence.version:14} {licence.declared}{why}")
    refused = [licence for licence in licences if licence.refused]
    print(f"{len(licences)} runtime dependencies, {len(refused)} refused")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
