"""Celery queue names, in one place (PostHog ``CeleryQueue``). Each queue gets its own worker deployment."""

from __future__ import annotations

import enum


class Queue(enum.StrEnum):
    DEFAULT = "default"  # housekeeping, heartbeats, small jobs
    INGEST = "ingest"  # log and capture ingestion: I/O heavy, long
    AUDITS = "audits"  # fairness audits and evidence packs (both apps): CPU heavy
    ALERTS = "alerts"  # alert evaluation and delivery: must never wait behind an audit
