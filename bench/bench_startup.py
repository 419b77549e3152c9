"""Start-up cost of whole commands, each in a fresh interpreter, against a bare ``django.setup()`` baseline.

Run: ``.venv/bin/python bench/bench_startup.py [repeats]``. Each command is run ``repeats`` times (default 7, in
rounds of every command) in a new process with the project's settings (``config.settings.base``, a temporary
``DATA_DIR``, a throw-away ``SECRET_KEY``); the median wall time is reported. The baseline is a process that only
calls ``django.setup()`` on minimal settings (``contenttypes`` and ``auth``, no database), so its ratio is what
loading this project's apps, URLconf and libraries costs over Django's own floor; an empty interpreter
(``python -c pass``) is shown for scale.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_BARE_SETUP = (
    "import django; from django.conf import settings; "
    "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth']); django.setup()"
)

#: label -> argv after the interpreter; the first is the baseline the ratios divide by
COMMANDS: dict[str, list[str]] = {
    "bare django.setup() (minimal settings)": ["-c", _BARE_SETUP],
    "manage.py check": ["manage.py", "check"],
    "manage.py help": ["manage.py", "help"],
    "manage.py classify --help": ["manage.py", "classify", "--help"],
    "import config.wsgi": ["-c", "import config.wsgi"],
    "empty interpreter (python -c pass)": ["-c", "pass"],
}


def _wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return elapsed


def main(repeats: int = 7) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "SECRET_KEY": "bench-startup-secret-key-not-for-production-0123456789abcdefghijkl",
                "DATA_DIR": str(data_dir),
                "PYTHONPATH": str(ROOT),
            }
        )
        for argv in COMMANDS.values():  # warm the OS file cache and the bytecode caches once
            _wall(argv, env)
        times: dict[str, list[float]] = {label: [] for label in COMMANDS}
        for _ in range(repeats):  # rounds of every command, so a change of load on the machine hits them all alike
            for label, argv in COMMANDS.items():
                times[label].append(_wall(argv, env))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    medians = {label: statistics.median(samples) for label, samples in times.items()}
    baseline = next(iter(medians.values()))
    print(f"fresh processes, median of {repeats} ({os.cpu_count()} cores)")
    print(f"{'command':<40} {'seconds':>8} {'x bare':>7}")
    for label, seconds in medians.items():
        print(f"{label:<40} {seconds:8.3f} {seconds / baseline:6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
