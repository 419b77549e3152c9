"""docker-compose.yml is a valid Compose file (the Compose Specification's own JSON schema, vendored under
tests/core/compose_spec/ with its Apache-2.0 licence), and every health check uses a program the image has."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest

from tests.core.compose_file import (
    ROOT,
    MissingVariable,
    duration_seconds,
    interpolate,
    interpolate_all,
    load_compose,
)

SCHEMA = json.loads((Path(__file__).parent / "compose_spec" / "compose-spec.json").read_text())
APP_SERVICES = ("migrate", "web", "worker", "beat")
VARIABLES = {"POSTGRES_PASSWORD": "secret"}


def validate(document: object) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_vendored_schema_is_the_compose_specification_with_its_licence() -> None:
    folder = Path(__file__).parent / "compose_spec"
    assert SCHEMA["title"] == "Compose Specification"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "Version 2.0" in (folder / "LICENSE").read_text()
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    # given
    document = load_compose()
    # then: as written, and as Compose sees it once the variables are filled in
    assert validate(document) == []
    assert validate(interpolate_all(document, VARIABLES)) == []


def test_the_schema_check_catches_a_mistake() -> None:
    # given: a typo'd key and a healthcheck without its CMD form
    document = load_compose()
    document["services"]["web"]["helthcheck"] = document["services"]["web"].pop("healthcheck")
    document["services"]["beat"]["healthcheck"]["interval"] = 60
    # then
    problems = validate(document)
    assert any("helthcheck" in problem for problem in problems), problems
    assert any(problem.startswith("services/beat/healthcheck/interval") for problem in problems), problems


def test_compose_refuses_to_start_without_the_postgres_password() -> None:
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD: set POSTGRES_PASSWORD"):
        interpolate_all(load_compose(), {})


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("$$HOSTNAME", {}, "$HOSTNAME"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A:-p://${B:?no B}@h}", {"B": "b"}, "p://b@h"),
        ("${A:-p://${B:?no B}@h}", {"A": "set"}, "set"),
        ("${A:+on}", {"A": "1"}, "on"),
        ("$A/$B", {"A": "1", "B": "2"}, "1/2"),
    ],
)
def test_interpolation_follows_the_compose_rules(text: str, variables: dict[str, str], expected: str) -> None:
    assert interpolate(text, variables) == expected


def test_every_service_has_a_health_check_or_runs_to_completion() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no" and "healthcheck" not in service
            continue
        check = service["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert duration_seconds(check["timeout"]) < duration_seconds(check["interval"]), name


def _programs(test: list[str]) -> set[str]:
    if test[0] == "CMD":
        return {test[1]}
    # CMD-SHELL: the first word of every pipeline stage
    return {shlex.split(stage)[0] for stage in re.split(r"\|\||&&|\||;", test[1]) if stage.strip()}


def test_app_health_checks_use_programs_the_image_installs() -> None:
    # given: what the Dockerfile puts in the python:3.12-slim image (sh is in every Debian image)
    dockerfile = (ROOT / "Dockerfile").read_text()
    apt = set(re.findall(r"apt-get install -y --no-install-recommends ([^&]+)", dockerfile)[0].split())
    in_image = {"python", "sh"} | apt | {"celery", "gunicorn"}  # console scripts of the pip-installed project
    services = load_compose()["services"]
    # then
    for name in APP_SERVICES:
        if "healthcheck" in services[name]:
            assert _programs(services[name]["healthcheck"]["test"]) <= in_image, name


def test_beat_health_check_does_not_rely_on_a_file_the_database_scheduler_never_writes() -> None:
    beat = load_compose()["services"]["beat"]
    assert "celerybeat-state" not in json.dumps(beat)
    assert beat["healthcheck"]["test"][1:4] == ["python", "manage.py", "beat_healthcheck"]


def test_worker_is_named_as_its_health_check_pings_it() -> None:
    worker = load_compose()["services"]["worker"]
    command = worker["command"]
    assert command[command.index("--hostname") + 1] == "celery@%h"  # %h: the hostname, $HOSTNAME in a container
    assert "-d celery@$$HOSTNAME" in worker["healthcheck"]["test"][1]
