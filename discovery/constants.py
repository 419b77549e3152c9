"""Thresholds of the ingestion lifecycle (chunk retries, the reaper), each with why it was chosen."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

#: errors worth another attempt at a chunk: the database was busy or went away (SQLite's writer lock, a PostgreSQL
#: restart, fail-over or dropped connection) or a connection broke. Anything else is a property of the input or a
#: bug: it fails the chunk at once, with its error text, instead of burning the remaining attempts.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, ConnectionError)

#: seconds past the hard task time limit (``CELERY_TASK_TIME_LIMIT``) before the reaper treats a claimed chunk as
#: lost: by then the limit has killed its task, so nothing live can still be working on it (as for audit runs)
STALE_CHUNK_MARGIN_SECONDS = 5 * 60

#: chunks the reaper handles per run (the next run, minutes later, takes the rest)
REAP_BATCH = 1000

#: longest error text kept on a chunk or a batch (enough for an exception type, its message and a location)
ERROR_MAX_CHARS = 2000

#: seconds the synchronous path (``ingest_logs`` without ``--queue``) waits before its first retry of a chunk that
#: met a transient error; doubled per attempt, capped at :data:`LOCAL_RETRY_MAX_SECONDS`
LOCAL_RETRY_SECONDS = 1.0
LOCAL_RETRY_MAX_SECONDS = 30.0

#: earlier batches of a source (of at least 64 KiB, sharing the new file's first 64 KiB) checked as the beginning of
#: a new file, the largest first: a growing log's earlier versions are few; the bound keeps a pathological source
#: (thousands of files with one long common header) from costing a digest copy per batch
MAX_PREFIX_CANDIDATES = 100

#: pseudonyms a re-pseudonymisation converts per transaction, with every row that holds them (usage rows, alerts,
#: silences): 500 decryptions and re-encryptions take well under a second, and the rows' UPDATEs stay short enough
#: not to hold ingestion's commits back; a crash loses at most one batch (the redelivered task converts it again)
ROTATION_BATCH = 500
#: sealed malformed-line samples (one per chunk) sealed again per transaction by a re-pseudonymisation
ROTATION_SAMPLES_BATCH = 200
#: pseudonyms per query when linking or resolving the names a rotation gave one identity (below SQLite's 32,766
#: bound parameters)
ALIAS_QUERY_SUBJECTS = 10_000
