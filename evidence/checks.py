"""System checks for evidence packs: a TSA configured without the CA certificate its tokens are verified against.

Without ``EVIDENCE_TSA_CA_CERT`` every pack build would fail (an unverified token is never put in a pack), so the
misconfiguration stops ``manage.py check`` / start-up instead of surfacing as failed packs later.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured

from evidence.signing import tsa_configured, tsa_trust_anchors


def tsa_ca_certificate_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``evidence.E001`` when ``EVIDENCE_TSA_URL`` is set and ``EVIDENCE_TSA_CA_CERT`` is unset or unreadable."""
    if not tsa_configured():
        return []
    try:
        anchors = tsa_trust_anchors()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="evidence.E001")]
    if not anchors:
        return [
            Error(
                "EVIDENCE_TSA_URL is set but EVIDENCE_TSA_CA_CERT is not: timestamp tokens cannot be verified, so "
                "every evidence pack build would fail.",
                hint="Point EVIDENCE_TSA_CA_CERT at the TSA's root CA certificate (PEM), or unset EVIDENCE_TSA_URL.",
                id="evidence.E001",
            )
        ]
    return []
