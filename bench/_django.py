"""Shared set-up of the benchmarks that need Django and a database.

:func:`bench_database` sets Django up on the configured database: on the embedded default a SQLite file in a
temporary ``DATA_DIR`` (migrated here, removed afterwards), on PostgreSQL (``DATABASE_URL=postgres://...``) a database
of its own, ``bench_<name>_<pid>``, never the shared ``test_<name>`` that concurrent pytest runs use (and would
lose), dropped afterwards, also when the benchmark fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[tuple[str, Path]]:
    """Django set up and its database ready; yields the engine name (``sqlite3``, ``postgresql``) and the temporary
    directory (the ``DATA_DIR`` unless one was set), which is removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        os.environ.setdefault("DATA_DIR", str(tmp))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        if engine != "postgresql":
            call_command("migrate", verbosity=0)
            yield engine, tmp
            return
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_{name}_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=False)
        try:
            yield engine, tmp
        finally:
            connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
