"""App loading imports no heavy library (issue 15): they are imported where used, never at start-up.

Every ``manage.py`` command and every web and worker process pays for what loading the apps imports, so
scikit-learn, SciPy, pandas, matplotlib, PyArrow, ReportLab and openpyxl (nor numpy, nor fairlearn) must not be
imported by ``django.setup()`` and the system checks, by the URLconf, or by the Celery app and the apps' task
modules. Each case runs in a fresh interpreter (this process has long imported them all) with the project's
settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: the top-level packages that app loading must not import (numpy and fairlearn too: each of the others but
#: ReportLab brings numpy, and fairlearn brings scikit-learn and pandas; scapy is no dependency at all since issue 18)
HEAVY = ("sklearn", "scipy", "pandas", "matplotlib", "pyarrow", "reportlab", "openpyxl", "numpy", "fairlearn")

_SETUP = """
import django
django.setup()
"""

_REPORT = f"""
import json, sys
heavy = {HEAVY!r}
print(json.dumps(sorted({{name.split(".", 1)[0] for name in sys.modules}} & set(heavy))))
"""

#: what each start-up path runs after ``django.setup()``
STAGES = {
    "system checks": """
from django.core import checks
from django.core.management import call_command
call_command("check")
checks.run_checks(include_deployment_checks=True)
""",
    "URLconf": """
import importlib
from django.conf import settings
from django.urls import get_resolver
importlib.import_module(settings.ROOT_URLCONF)
get_resolver().url_patterns
""",
    "Celery app and task modules": """
import importlib, importlib.util
from django.apps import apps
from config.celery import app
app.loader.import_default_modules()  # what a worker does at start: runs the tasks autodiscovery
for config in apps.get_app_configs():
    if importlib.util.find_spec(f"{config.name}.tasks") is not None:
        importlib.import_module(f"{config.name}.tasks")
app.finalize()
""",
}


def _heavy_modules_after(stage: str, tmp_path: Path) -> list[str]:
    code = _SETUP + STAGES[stage] + _REPORT
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "SECRET_KEY": "startup-test-secret-key-not-for-production-0123456789abcdefghijklmn",
            "DISCOVERY_PSEUDONYM_KEYS": "1:c3RhcnR1cC10ZXN0LXBzZXVkb255bS1rZXktMDEyMzQ1Njc4OWFi",
            "DEBUG": "false",
            "DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("stage", list(STAGES))
def test_start_up_imports_no_heavy_library(stage: str, tmp_path: Path) -> None:
    # when
    loaded = _heavy_modules_after(stage, tmp_path)
    # then
    assert loaded == [], f"{stage} imported {', '.join(loaded)}"
