"""Start-up cost of whole commands, each in a fresh interpreter, against a bare ``django.setup()`` baseline.

Run: ``.venv/bin/python bench/bench_startup.py [repeats] [--root CHECKOUT] [--no-bytecode-cache]``. Each command is
run ``repeats`` times (default 7, in rounds of every command, after one warm-up round) in a new process with the
project's settings (``config.settings.base``, a temporary ``DATA_DIR``, a throw-away ``SECRET_KEY``); the median
wall time and the median CPU time (user + system) are reported. The baseline is a process that only calls
``django.setup()`` on minimal settings (``contenttypes`` and ``auth``, no database), so its ratio is what loading
this project's apps, URLconf and libraries costs over Django's own floor; an empty interpreter (``python -c pass``)
is shown for scale. ``--root`` times another checkout of the project (e.g. a worktree of ``main``) with this
interpreter.

Bytecode: the processes read and write compiled modules under a temporary ``PYTHONPYCACHEPREFIX`` (filled by the
warm-up round), so the figures are those of a deployment whose modules are compiled, even where
``PYTHONDONTWRITEBYTECODE`` is set (then every process would compile the project's sources again, some 0.3 s here).
``--no-bytecode-cache`` keeps the environment's setting instead.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], root: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running ``argv``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *argv], cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return wall, _children_cpu() - cpu


def main(repeats: int, root: Path, bytecode_cache: bool) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "SECRET_KEY": "bench-startup-secret-key-not-for-production-0123456789abcdefghijkl",
                "DATA_DIR": str(scratch / "data"),
                "PYTHONPATH": str(root),
            }
        )
        if bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        for argv in COMMANDS.values():  # warm-up: the OS file cache and, with the prefix, the bytecode
            _run(argv, root, env)
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label in COMMANDS}
        for _ in range(repeats):  # rounds of every command, so a change of load on the machine hits them all alike
            for label, argv in COMMANDS.items():
                samples[label].append(_run(argv, root, env))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    walls = {label: statistics.median(wall for wall, _ in runs) for label, runs in samples.items()}
    cpus = {label: statistics.median(cpu for _, cpu in runs) for label, runs in samples.items()}
    base_wall, base_cpu = next(iter(walls.values())), next(iter(cpus.values()))
    cache = "compiled (temporary PYTHONPYCACHEPREFIX)" if bytecode_cache else "as the environment says"
    print(f"{root}: fresh processes, median of {repeats}, {os.cpu_count()} cores, bytecode {cache}")
    print(f"{'command':<40} {'wall s':>7} {'x bare':>7} {'cpu s':>7} {'x bare':>7}")
    for label in COMMANDS:
        wall, cpu = walls[label], cpus[label]
        print(f"{label:<40} {wall:7.3f} {wall / base_wall:6.1f}x {cpu:7.3f} {cpu / base_cpu:6.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repeats", nargs="?", type=int, default=7)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout of the project to time (default: this one)")
    parser.add_argument("--no-bytecode-cache", dest="bytecode_cache", action="store_false")
    args = parser.parse_args()
    main(args.repeats, args.root.resolve(), args.bytecode_cache)
