"""Fetch an audit definition's model outputs into a local file, with its SHA-256, size and format.

Every source ends up as one local file (a SQL result is written as CSV) so the hash identifies exactly the bytes
that were analysed, and the pure core streams it in chunks. Size caps apply before reading (files) or while
downloading (URLs), so an oversized input fails fast with a clear message.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections

from audits.choices import FileFormat, SourceType
from audits.constants import DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_SQL_ROWS, SQL_FETCH_SIZE, URL_TIMEOUT_SECONDS
from audits.models import AuditDefinition


class AuditInputError(Exception):
    """The input cannot be audited; the message is shown on the run as is."""


@dataclass(frozen=True)
class LocalInput:
    path: Path
    sha256: str
    size: int
    file_format: str | None  # None = sniff


def max_input_bytes() -> int:
    return int(getattr(settings, "AUDITS_MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES))


def input_dirs() -> list[Path]:
    """Directories a path source may read from (settings.AUDITS_INPUT_DIRS, default MEDIA_ROOT)."""
    dirs = getattr(settings, "AUDITS_INPUT_DIRS", None) or [settings.MEDIA_ROOT]
    return [Path(d).resolve() for d in dirs]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_size(size: int) -> None:
    cap = max_input_bytes()
    if size > cap:
        raise AuditInputError(f"Input is {size:,} bytes, over the {cap:,}-byte cap (AUDITS_MAX_INPUT_BYTES).")


def _local_file(path: Path, file_format: str | None) -> LocalInput:
    if not path.is_file():
        raise AuditInputError(f"Input file not found: {path}")
    size = path.stat().st_size
    _check_size(size)
    if size == 0:
        raise AuditInputError(f"Input file is empty: {path}")
    return LocalInput(path=path, sha256=_sha256_file(path), size=size, file_format=file_format)


def _resolve_path(raw: str) -> Path:
    path = Path(raw).expanduser().resolve()
    allowed = input_dirs()
    if not any(path == d or d in path.parents for d in allowed):
        raise AuditInputError(f"Path {raw!r} is outside the allowed input directories {[str(d) for d in allowed]}.")
    return path


def _download(url: str, target: Path) -> None:
    if not url.lower().startswith(("http://", "https://")):
        raise AuditInputError("Only http:// and https:// URLs are allowed.")
    cap = max_input_bytes()
    request = urllib.request.Request(url, headers={"User-Agent": "aigov-audits/1"})
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit():
                _check_size(int(declared))
            written = 0
            with open(target, "wb") as out:
                for block in iter(lambda: response.read(1 << 20), b""):
                    written += len(block)
                    if written > cap:
                        raise AuditInputError(f"Download exceeded the {cap:,}-byte cap (AUDITS_MAX_INPUT_BYTES).")
                    out.write(block)
    except AuditInputError:
        raise
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise AuditInputError(f"Could not download {url}: {exc}") from exc


def _sql_to_csv(alias: str, query: str, target: Path) -> None:
    if alias not in settings.DATABASES:
        raise AuditInputError(f"Unknown database alias {alias!r}; configured: {sorted(settings.DATABASES)}")
    statement = query.strip().rstrip(";")
    if ";" in statement or not statement.lower().startswith(("select", "with")):
        raise AuditInputError("The SQL source must be a single SELECT (or WITH ... SELECT) statement.")
    cap = int(getattr(settings, "AUDITS_MAX_SQL_ROWS", DEFAULT_MAX_SQL_ROWS))
    try:
        with connections[alias].cursor() as cursor, open(target, "w", newline="") as out:
            cursor.execute(statement)
            writer = csv.writer(out)
            writer.writerow([col[0] for col in cursor.description or []])
            fetched = 0
            while rows := cursor.fetchmany(SQL_FETCH_SIZE):
                fetched += len(rows)
                if fetched > cap:
                    raise AuditInputError(f"The query returned more than {cap:,} rows (AUDITS_MAX_SQL_ROWS).")
                writer.writerows(rows)
    except AuditInputError:
        raise
    except Exception as exc:  # driver errors differ per backend; the message is what the user needs
        raise AuditInputError(f"SQL query failed on {alias!r}: {exc}") from exc


@contextlib.contextmanager
def fetch_input(definition: AuditDefinition) -> Iterator[LocalInput]:
    """Yield the definition's input as a local file; temporary downloads/exports are removed afterwards."""
    fmt = None if definition.file_format == FileFormat.AUTO else definition.file_format
    source = SourceType(definition.source_type)
    if source is SourceType.UPLOAD:
        if not definition.source_file:
            raise AuditInputError("No file has been uploaded for this audit.")
        yield _local_file(Path(definition.source_file.path), fmt)
    elif source is SourceType.PATH:
        yield _local_file(_resolve_path(definition.source_path), fmt)
    else:
        fd, name = tempfile.mkstemp(prefix="audit-input-")
        os.close(fd)
        tmp = Path(name)
        try:
            if source is SourceType.URL:
                _download(definition.source_url, tmp)
            else:
                _sql_to_csv(definition.source_database, definition.source_query, tmp)
                fmt = FileFormat.CSV
            yield _local_file(tmp, fmt)
        finally:
            tmp.unlink(missing_ok=True)
