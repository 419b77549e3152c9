"""Licences (issue 18): this Apache-2.0 project ships with no GPL/AGPL-only dependency, and imports no scapy.

The dependency check is ``scripts/check_licences.py`` (also a command: it prints every runtime dependency's
licence); here it runs on the installed environment and on a table of licence metadata.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from email.message import Message
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: folders that hold no code of the project
NOT_OURS = {".venv", ".git", "node_modules", "var", "staticfiles", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_licences", ROOT / "scripts" / "check_licences.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


check_licences = _script()


def test_no_runtime_dependency_is_under_a_gpl_only_licence() -> None:
    # given the installed service / when
    licences = check_licences.check()

    # then every runtime dependency declares a licence the project can ship with
    assert len(licences) > 20  # the closure was followed (Django, Celery, pandas... and theirs)
    refused = [(licence.distribution, licence.declared, licence.reason) for licence in licences if licence.refused]
    assert refused == []
    assert "scapy" not in {check_licences.normalize(licence.distribution) for licence in licences}


def _python_files() -> list[Path]:
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_OURS]
        files += [Path(folder) / name for name in names if name.endswith(".py")]
    return files


def test_no_source_file_imports_scapy() -> None:
    # given every Python file of the repository (code, tests, benchmarks, scripts)
    pattern = re.compile(r"^\s*(import\s+scapy\b|from\s+scapy\b)|import_module\(\s*[\"']scapy", re.MULTILINE)
    files = _python_files()

    # when
    offenders = [str(path.relative_to(ROOT)) for path in files if pattern.search(path.read_text(encoding="utf-8"))]

    # then
    assert len(files) > 100
    assert offenders == []


class _Distribution:
    """A stand-in for an installed distribution: just its metadata."""

    def __init__(self, **fields: Any) -> None:
        self.metadata = Message()
        self.metadata["Name"] = "example"
        self.metadata["Version"] = "1.0"
        for key, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                self.metadata[key.replace("_", "-")] = item


GPL2 = "License :: OSI Approved :: GNU General Public License v2 (GPLv2)"
LGPL3 = "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)"
MIT = "License :: OSI Approved :: MIT License"

#: case -> (metadata fields, refused)
CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "scapy's own metadata": ({"License_Expression": "GPL-2.0-only"}, True),
    "GPL or later": ({"License_Expression": "GPL-3.0-or-later"}, True),
    "AGPL": ({"License_Expression": "AGPL-3.0-only"}, True),
    "GPL with an exception": ({"License_Expression": "GPL-2.0-only WITH Classpath-exception-2.0"}, True),
    "GPL and a permissive part": ({"License_Expression": "Apache-2.0 AND GPL-3.0-only"}, True),
    "GPL or a permissive choice": ({"License_Expression": "(GPL-2.0-only OR MIT)"}, False),
    "LGPL": ({"License_Expression": "LGPL-3.0-only"}, False),
    "Apache": ({"License_Expression": "Apache-2.0"}, False),
    "permissive conjunction": ({"License_Expression": "BSD-3-Clause AND 0BSD AND MIT"}, False),
    "GPL classifier": ({"Classifier": [GPL2]}, True),
    "LGPL classifier": ({"Classifier": [LGPL3]}, False),
    "GPL field": ({"License": "GPLv3"}, True),
    "GNU GPL field": ({"License": "GNU General Public License"}, True),
    "LGPL field": ({"License": "LGPLv3"}, False),
    "MIT field and classifier": ({"License": "MIT", "Classifier": [MIT]}, False),
    "the whole licence text as the field": ({"License": "Copyright (c) x\n\nPermission is hereby granted..."}, True),
    "nothing declared": ({}, True),
}


@pytest.mark.parametrize("case", CASES)
def test_licence_verdicts(case: str) -> None:
    # given a distribution's licence metadata
    fields, refused = CASES[case]

    # when
    licence = check_licences.licence_of(_Distribution(**fields))

    # then
    assert licence.refused is refused, licence
