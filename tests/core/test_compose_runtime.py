"""The compose services run as docker-compose.yml says, and their health checks pass (no Docker engine here).

The commands and environments are read from docker-compose.yml (after Compose's interpolation) and started on this
machine the way Compose would start them: migrate first, then web, worker and beat; each service's health check, the
same command string as in the file, is run until it passes. Host-for-container adaptations only, each listed in
:data:`HOST_FOR_CONTAINER`: the container's ``/data`` volume is a temporary directory, gunicorn binds loopback on an
ephemeral port instead of ``0.0.0.0:8000``, ``$HOSTNAME`` is this machine's host name (Docker sets it to the
container's), and ``.env`` holds the test's database and broker (a database of its own, on the test server).

The worker's health check pings over the broker's broadcast, which Redis has and the embedded SQLAlchemy broker has
not; compose always runs Redis, so that one check needs ``CELERY_BROKER_URL=redis://...`` (the Redis pass of
.ci/run).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.core.compose_file import ROOT, duration_seconds, interpolate_all, load_compose

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_REDIS = BROKER_URL.startswith(("redis://", "rediss://"))
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
#: seconds for migrate on an empty database (~15 s on an idle 2-core machine; generous for a busy one)
MIGRATE_TIMEOUT = 180.0
#: seconds from starting web, worker and beat until all their checks have passed (~10 s when idle)
START_BUDGET = 90.0
CONTAINER_WEB_BIND = "0.0.0.0:8000"
CONTAINER_WEB_URL = "localhost:8000"
HOST_FOR_CONTAINER = {
    "/data": "the temporary data directory",
    CONTAINER_WEB_BIND: "127.0.0.1:0 (gunicorn reports the port it got)",
    CONTAINER_WEB_URL: "127.0.0.1:<that port>",
    "$HOSTNAME": "socket.gethostname() (Docker: the container's hostname)",
}
LONG_RUNNING = ("web", "worker", "beat")


def _dockerfile_env() -> dict[str, str]:
    """``ENV`` of the image (``KEY=value`` pairs)."""
    env: dict[str, str] = {}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ENV "):
            env.update(pair.split("=", 1) for pair in line[4:].split())
    return env


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    healthcheck: dict[str, Any] | None
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    data_dir: Path
    services: dict[str, Service]
    started_at: float = field(default_factory=time.monotonic)
    web_port: int | None = None

    def remaining(self) -> float:
        return START_BUDGET - (time.monotonic() - self.started_at)


def _host(value: str, data_dir: Path) -> str:
    return re.sub(r"(?<![\w.])/data(?=/|$)", str(data_dir), value)


def _test_database(tmp: Path) -> Iterator[str]:
    """A database of this test's own: a file under ``tmp`` (SQLite) or a fresh database on the test's server."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp / 'data' / 'db.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = f"test_{parts.path.lstrip('/') or 'aigov'}_compose"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stop(service: Service) -> None:
    process = service.process
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: gunicorn and celery children go with it
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _start(service: Service, cwd: Path) -> None:
    with service.log.open("wb") as log:
        service.process = subprocess.Popen(
            service.argv, cwd=cwd, env=service.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _web_port(service: Service, stack: Stack) -> int:
    while stack.remaining() > 0:
        if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", service.log_tail(200)):
            return int(match.group(1))
        assert service.process is not None
        if service.process.poll() is not None:
            pytest.fail(f"web exited with {service.process.returncode}:\n{service.log_tail()}")
        time.sleep(0.2)
    pytest.fail(f"web never listened:\n{service.log_tail()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("compose")
    data_dir = tmp / "data"
    data_dir.mkdir()
    home = tmp / "home"  # the image's user has HOME=/app; here a directory of its own (gunicorn's control socket)
    home.mkdir()
    database = _test_database(tmp)
    database_url = next(database)
    broker_url = BROKER_URL if ON_REDIS else f"sqla+sqlite:///{data_dir / 'celery-broker.sqlite3'}"
    # .env: what the operator sets (the compose file reads it for interpolation and as env_file)
    dotenv = {
        "SECRET_KEY": "compose-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        # production refuses a pseudonym key derived from SECRET_KEY (discovery.E001): the operator sets a ring
        "DISCOVERY_PSEUDONYM_KEYS": "1:Y29tcG9zZS10ZXN0LXBzZXVkb255bS1rZXktMDEyMzQ1Njc4OWFiY2RlZg==",
        "POSTGRES_PASSWORD": "not-used-here",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "WEB_CONCURRENCY": "1",  # two cores: one process each is enough to answer a health check
        "WORKER_CONCURRENCY": "1",
    }
    compose = interpolate_all(load_compose(), dotenv)
    base_env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "HOSTNAME": socket.gethostname(),
        "LANG": "C.UTF-8",
        **_dockerfile_env(),
    }
    services: dict[str, Service] = {}
    for name in ("migrate", *LONG_RUNNING):
        spec = compose["services"][name]
        assert spec["env_file"] == ".env"
        env = {**base_env, **dotenv, **{k: _host(str(v), data_dir) for k, v in spec["environment"].items()}}
        argv = [_host(arg, data_dir) for arg in spec["command"]]
        if name == "web":
            argv = [arg.replace(CONTAINER_WEB_BIND, "127.0.0.1:0") for arg in argv]
        services[name] = Service(name, argv, env, spec.get("healthcheck"), tmp / f"{name}.log")
    result = Stack(data_dir, services)
    try:
        migrate = services["migrate"]
        _start(migrate, ROOT)
        assert migrate.process is not None
        try:
            migrate.process.wait(timeout=MIGRATE_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"migrate did not finish in time:\n{migrate.log_tail()}")
        if migrate.process.returncode == 0:  # depends_on: service_completed_successfully
            result.started_at = time.monotonic()
            for name in LONG_RUNNING:
                _start(services[name], ROOT)
            result.web_port = _web_port(services["web"], result)
        yield result
    finally:
        for name in LONG_RUNNING:
            _stop(services[name])
        if ON_REDIS:
            from config.celery import app

            app.control.purge()  # what beat queued and no worker took must not run in a later test's worker
        database.close()


def _run_check(test: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    kind, *rest = test
    argv = rest if kind == "CMD" else ["/bin/sh", "-c", rest[0]]
    assert kind in {"CMD", "CMD-SHELL"}, kind
    try:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, -1, "", f"timed out after {timeout}s")


def test_migrate_runs_to_completion(stack: Stack) -> None:
    migrate = stack.services["migrate"]
    assert migrate.process is not None
    assert migrate.process.returncode == 0, migrate.log_tail()
    assert "Applying" in migrate.log.read_text()  # a fresh database: it really migrated


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_service_health_check_passes(stack: Stack, name: str) -> None:
    # given
    if name == "worker" and not ON_REDIS:
        pytest.skip("the worker's ping needs broker broadcast: compose runs Redis (set CELERY_BROKER_URL=redis://)")
    assert stack.services["migrate"].process is not None
    assert stack.services["migrate"].process.returncode == 0, "migrate failed: services never started"
    service = stack.services[name]
    assert service.healthcheck is not None, f"{name} has no health check"
    test = [part.replace(CONTAINER_WEB_URL, f"127.0.0.1:{stack.web_port}") for part in service.healthcheck["test"]]
    timeout = duration_seconds(service.healthcheck["timeout"])
    # when: checked as Docker does, until it passes (within the start budget) or the service dies
    attempts: list[str] = []
    while True:
        assert service.process is not None
        if service.process.poll() is not None:
            pytest.fail(f"{name} exited with {service.process.returncode}:\n{service.log_tail()}")
        result = _run_check(test, service.env, timeout)
        if result.returncode == 0:
            break
        attempts.append(f"rc={result.returncode} {result.stdout.strip()[-200:]} {result.stderr.strip()[-300:]}")
        if stack.remaining() <= 0:
            pytest.fail(f"{name} health check never passed; last: {attempts[-1]}\n{service.log_tail()}")
        time.sleep(0.5)
    # then
    assert result.returncode == 0


def test_beat_health_check_fails_when_beat_stops(stack: Stack) -> None:
    # given: beat was healthy (the test above), then stops
    beat = stack.services["beat"]
    assert beat.healthcheck is not None
    _stop(beat)
    heartbeat = stack.data_dir / "beat-heartbeat"
    assert heartbeat.exists()
    old = time.time() - 120
    os.utime(heartbeat, (old, old))  # two minutes pass
    # when
    result = _run_check(beat.healthcheck["test"], beat.env, duration_seconds(beat.healthcheck["timeout"]))
    # then
    assert result.returncode != 0
    assert re.search(r"beat last ticked 1[2-9]\ds ago \(more than 60s\)", result.stderr), result.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="DATABASE_URL is not PostgreSQL")
def test_postgres_health_check_passes_against_a_server() -> None:
    # given: the compose check, pointed from the container's socket at the test server
    test = load_compose()["services"]["postgres"]["healthcheck"]["test"]
    parts = urlsplit(DATABASE_URL)
    command = f"{test[1]} -h {parts.hostname} -p {parts.port or 5432}"
    # then
    assert _run_check(["CMD-SHELL", command], dict(os.environ), 5).returncode == 0


@pytest.mark.skipif(not ON_REDIS, reason="CELERY_BROKER_URL is not Redis")
def test_redis_health_check_passes_against_a_server() -> None:
    test = load_compose()["services"]["redis"]["healthcheck"]["test"]
    parts = urlsplit(BROKER_URL)
    command = test[1].replace("redis-cli", f"redis-cli -h {parts.hostname} -p {parts.port or 6379}", 1)
    assert _run_check(["CMD-SHELL", command], dict(os.environ), 5).returncode == 0
