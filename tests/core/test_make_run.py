"""`make run` points the links in alerts and reports at the server it starts (SITE_URL from HOST/PORT), unless
SITE_URL is set. Read from `make -n run` (prints the recipe, runs nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make_dry_run(*args: str, env: dict[str, str] | None = None) -> str:
    if shutil.which("make") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("make is not installed")
        pytest.skip("make is not installed")
    base = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env={**base, **(env or {})}, capture_output=True, text=True, check=True
    )
    return result.stdout


def site_url_line(output: str) -> str:
    (line,) = [line for line in output.splitlines() if "Links in alerts and reports:" in line]
    return line.split("Links in alerts and reports:", 1)[1].strip().strip('"')


def test_site_url_defaults_to_the_address_make_run_serves() -> None:
    assert site_url_line(make_dry_run()) == "http://127.0.0.1:8000"


def test_site_url_follows_host_and_port() -> None:
    assert site_url_line(make_dry_run("HOST=0.0.0.0", "PORT=9123")) == "http://0.0.0.0:9123"


def test_site_url_from_the_environment_wins() -> None:
    assert site_url_line(make_dry_run("PORT=9123", env={"SITE_URL": "https://aigov.example.org"})) == (
        "https://aigov.example.org"
    )


def test_site_url_reaches_the_processes_make_run_starts(tmp_path: Path) -> None:
    # given: a stand-in virtualenv whose python and honcho print the SITE_URL they were started with
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()  # newer than pyproject.toml: `install` has nothing to do
    for tool in ("python", "honcho"):
        script = venv / "bin" / tool
        script.write_text(f'#!/bin/sh\necho "{tool} SITE_URL=$SITE_URL"\n')
        script.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    # when
    result = subprocess.run(
        ["make", "-s", "run", f"VENV={venv}", f"BIN={venv}/bin", "PORT=9124"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        check=True,
    )
    # then: migrate, demo, ensure_admin and honcho (web, worker, beat) all see it
    lines = [line for line in result.stdout.splitlines() if "SITE_URL=" in line]
    assert lines == ["python SITE_URL=http://127.0.0.1:9124"] * 3 + ["honcho SITE_URL=http://127.0.0.1:9124"]
