"""Signals discovery sends, so the apps above it (alerting) react to ingestion without discovery importing them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.dispatch import Signal

#: sent (``batch_id=``) once a log batch has settled ``done`` or ``partial`` *and committed*: the receivers (alert
#: evaluation, connected by ``AlertsConfig.ready``) only enqueue work, and never run inside ingestion's transaction
log_batch_finished = Signal()

#: holders of pseudonyms besides usage rows: callables returning the pseudonyms that must outlive the usage
#: retention (alerts still open or seen within it). Registered by the apps that keep them, read by the purge.
_RETAINED_SUBJECTS: list[Callable[..., Iterable[str]]] = []


def retained_subjects_register(source: Callable[..., Iterable[str]]) -> None:
    """Register ``source(cutoff=datetime) -> pseudonyms`` that the retention purge must keep (idempotent)."""
    if source not in _RETAINED_SUBJECTS:
        _RETAINED_SUBJECTS.append(source)


def retained_subjects(**kwargs: object) -> set[str]:
    """Every pseudonym a registered holder still needs."""
    return {subject for source in _RETAINED_SUBJECTS for subject in source(**kwargs) if subject}


#: holders of pseudonyms besides discovery's own tables, for a key rotation: ``(rekey, remaining)`` pairs where
#: ``rekey(mapping={old: new}, key_version=int) -> {table: rows}`` rewrites the holder's rows (inside the rotation's
#: transaction) and ``remaining(key_version=int) -> {table: rows}`` counts rows still of another version
_PSEUDONYM_HOLDERS: list[tuple[Callable[..., dict[str, int]], Callable[..., dict[str, int]]]] = []


def pseudonym_holder_register(rekey: Callable[..., dict[str, int]], remaining: Callable[..., dict[str, int]]) -> None:
    """Register a holder of pseudonyms that the re-pseudonymisation must rewrite too (idempotent)."""
    if (rekey, remaining) not in _PSEUDONYM_HOLDERS:
        _PSEUDONYM_HOLDERS.append((rekey, remaining))


def pseudonym_holders() -> list[tuple[Callable[..., dict[str, int]], Callable[..., dict[str, int]]]]:
    """Every registered ``(rekey, remaining)`` pair."""
    return list(_PSEUDONYM_HOLDERS)
