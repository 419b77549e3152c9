"""Celery entry points for audits: thin, take ids, idempotent, return quietly when the object is gone."""

from __future__ import annotations
