"""docker-compose.yml, the Dockerfile and .env.example stay true to the code (no Docker engine runs here)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = {
    line.split("=", 1)[0]
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line and not line.startswith("#") and "=" in line
}


def test_compose_runs_postgres_redis_web_worker_and_beat_with_health_checks() -> None:
    # then
    services = COMPOSE["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert {"pgdata", "redisdata"} <= set(COMPOSE["volumes"])


@pytest.mark.parametrize("service", ["migrate", "web", "worker", "beat"])
def test_every_compose_command_points_at_a_real_module_or_command(service: str) -> None:
    # given
    command = COMPOSE["services"][service]["command"]
    # then
    if command[0] == "gunicorn":
        module, _, attribute = command[1].partition(":")
        assert hasattr(importlib.import_module(module), attribute)
    elif command[0] == "celery":
        assert command[1:3] == ["-A", "config"]
        assert importlib.import_module("config").celery_app is celery_app
        assert command[3] in {"worker", "beat"}
        if command[3] == "worker":
            queues = command[command.index("-Q") + 1]
            default = re.search(r":-([^}]*)}", queues)
            assert default is not None
            assert set(default.group(1).split(",")) == {q.name for q in celery_app.conf.task_queues}
    else:
        assert command[:2] == ["python", "manage.py"]
        assert command[2] in get_commands()


def test_every_variable_in_compose_is_documented_in_env_example() -> None:
    # given
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    # then
    assert used - ENV_EXAMPLE == set()


def test_every_variable_the_settings_read_is_documented_in_env_example() -> None:
    # given
    source = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))
    read = set(re.findall(r'env_(?:str|bool|int|float|list|raw)\(\s*"([A-Z_0-9]+)"', source))
    # then
    assert read, "no settings variables found: the regex is stale"
    assert read - ENV_EXAMPLE == set()


def test_dockerfile_copies_every_top_level_package() -> None:
    # given
    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    # then
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, package


def test_dockerfile_compiles_the_app_so_processes_do_not_recompile_it_at_start() -> None:
    # given: PYTHONDONTWRITEBYTECODE=1 in the image, so nothing would write the .pyc files at run time
    dockerfile = (ROOT / "Dockerfile").read_text()
    # then: they are written once, at build time, for the copies the processes import (/app is first on sys.path)
    assert "PYTHONDONTWRITEBYTECODE=1" in dockerfile
    assert "python -m compileall -q /app" in dockerfile
