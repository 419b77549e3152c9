"""Settings come from the environment or a ``.env`` file (issue 17: the README's commands failed as written because
``.env`` was never read): ``manage.py`` reads ``.env`` beside it, or the file ``ENV_FILE`` names, before any setting;
a variable set in the environment wins over the file; the test settings read none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "from django.conf import settings; print(settings.SECRET_KEY, settings.DISCOVERY_RETENTION_DAYS, settings.DEBUG)"
)


def _manage(env_vars: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a fresh process with only ``env_vars`` (and PATH) in its environment, production settings."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env_vars},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _dotenv(tmp_path: Path) -> Path:
    path = tmp_path / "prod.env"
    path.write_text(
        "# production settings\n"
        "export SECRET_KEY='from-the-dotenv-file-0123456789abcdefghijklmnopqrstuvwxyz'\n"
        'DISCOVERY_RETENTION_DAYS="33"\n'
        f"DATA_DIR={tmp_path / 'data'}\n"
    )
    return path


def test_a_command_runs_with_debug_off_and_its_secret_key_from_the_env_file(tmp_path: Path) -> None:
    done = _manage({"ENV_FILE": str(_dotenv(tmp_path))}, "shell", "-c", PRINT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["from-the-dotenv-file-0123456789abcdefghijklmnopqrstuvwxyz", "33", "False"]


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    done = _manage({"ENV_FILE": str(_dotenv(tmp_path)), "DISCOVERY_RETENTION_DAYS": "44"}, "shell", "-c", PRINT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2] == "44"


def test_without_an_env_file_or_secret_key_a_command_that_needs_one_says_what_is_missing(tmp_path: Path) -> None:
    done = _manage({"ENV_FILE": "", "DATA_DIR": str(tmp_path)}, "shell", "-c", PRINT)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_the_default_env_file_is_the_one_beside_manage_py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a project directory with a .env, and no ENV_FILE
    (tmp_path / ".env").write_text("AIGOV_TEST_DOTENV_A=from-file\nAIGOV_TEST_DOTENV_B=from-file\n")
    monkeypatch.setattr(env, "BASE_DIR", tmp_path)
    monkeypatch.delenv("ENV_FILE")
    for name in ("AIGOV_TEST_DOTENV_A", "AIGOV_TEST_DOTENV_B"):
        monkeypatch.setenv(name, "x")  # recorded as unset, restored so at teardown
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIGOV_TEST_DOTENV_B", "from-environment")
    # when
    read = env.load_env_file()
    # then
    assert read == tmp_path / ".env"
    assert os.environ["AIGOV_TEST_DOTENV_A"] == "from-file"
    assert os.environ["AIGOV_TEST_DOTENV_B"] == "from-environment"


def test_an_empty_env_file_setting_reads_nothing_and_a_missing_named_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("AIGOV_TEST_DOTENV_C=from-file\n")
    monkeypatch.setattr(env, "BASE_DIR", tmp_path)
    monkeypatch.setenv("ENV_FILE", "")
    assert env.load_env_file() is None and "AIGOV_TEST_DOTENV_C" not in os.environ
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(ImproperlyConfigured, match="ENV_FILE"):
        env.load_env_file()
