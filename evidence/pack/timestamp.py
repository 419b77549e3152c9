"""RFC 3161 trusted timestamps of a pack's manifest: the request, and the verification of the TSA's answer.

The request is built by ``rfc3161-client`` (Trail of Bits, used by sigstore-python): SHA-256 message imprint,
a random 64-bit nonce, ``certReq`` TRUE so the token carries the TSA certificate. Sending it
(``POST`` with ``Content-Type: application/timestamp-query``) is the Django side's job.

:func:`verify_timestamp_response` accepts a token only when every check passes, and raises
:class:`TimestampVerificationError` naming the first that fails:

``response``     the body is a DER ``TimeStampResp``;
``status``       its PKIStatus is *granted* (0; ``grantedWithMods`` is refused: we asked for nothing to modify);
``imprint``      the TSTInfo's message imprint is SHA-256 of exactly these manifest bytes;
``nonce``        the TSTInfo's nonce is the one we sent (a replayed or mixed-up answer fails here);
``gen_time``     genTime is not later than now plus :data:`GEN_TIME_MAX_SKEW`, nor earlier than the pack's
                 created-at minus that skew (a token cannot predate the data it covers);
``signature``    the TSA's CMS signature over the TSTInfo verifies (signed attributes, messageDigest);
``certificate``  the signing certificate is the one the ESS signing-certificate attribute names and has the
                 critical ``timeStamping`` extended key usage;
``chain``        it chains to one of the configured TSA CA certificates, every certificate valid at genTime.

The signature, certificate and chain checks run twice, by two independent implementations: the pure verifier that
ships inside every pack as ``verify.py`` (:func:`evidence.pack.verify_standalone.verify_timestamp_token`, so a pack
we build always passes the auditor's tool) and ``rfc3161-client``'s verifier (OpenSSL's PKCS#7 verification).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from evidence.pack import verify_standalone as standalone
from evidence.pack.errors import InvalidTimestampTokenError

#: how far a TSA's clock may run ahead of ours (or genTime sit before the pack's created-at) before the token is
#: refused: five minutes, the usual Kerberos/NTP tolerance; a sane TSA is within a second (RFC 3161 accuracy).
GEN_TIME_MAX_SKEW = timedelta(minutes=5)


class TimestampVerificationError(InvalidTimestampTokenError):
    """A TSA's answer failed one of the checks of :func:`verify_timestamp_response`; ``check`` names it."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"timestamp check '{check}' failed: {detail}")
        self.check = check
        self.detail = detail


@dataclass(frozen=True)
class TimestampRequest:
    """A DER ``TimeStampReq`` and the nonce it carries (to match against the answer)."""

    der: bytes
    nonce: int


@dataclass(frozen=True)
class VerifiedTimestamp:
    """A TSA answer that passed every check: stored in the pack as ``manifest.tsr`` and ``tsa_chain.pem``."""

    response: bytes  # the DER TimeStampResp, as the TSA sent it
    chain_pem: bytes  # the TSA certificate, any intermediates and the trusted CA it chained to, PEM
    gen_time: datetime
    serial_number: int
    tsa_name: str


def build_timestamp_request(manifest_bytes: bytes) -> TimestampRequest:
    """A ``TimeStampReq`` over SHA-256(``manifest_bytes``) with a random nonce and ``certReq`` TRUE."""
    request = (
        TimestampRequestBuilder()
        .data(manifest_bytes)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    if request.nonce is None:  # pragma: no cover - the builder always sets one when asked to
        raise InvalidTimestampTokenError("the timestamp request has no nonce")
    return TimestampRequest(der=request.as_bytes(), nonce=request.nonce)


def _library_verify(response: bytes, digest: bytes, info: standalone.TimestampInfo) -> None:
    """``rfc3161-client``'s verification (status, signature and chain by OpenSSL, EKU), as a second opinion on the
    chain the pure verifier found."""
    builder = VerifierBuilder(tsa_certificate=info.signer, roots=[info.chain[-1]], intermediates=list(info.chain[1:-1]))
    try:
        builder.build().verify(decode_timestamp_response(response), digest)
    except (VerificationError, ValueError) as exc:
        raise TimestampVerificationError(standalone.CHECK_SIGNATURE, f"rfc3161-client: {exc}") from exc


def verify_timestamp_token_offline(
    response: bytes,
    manifest_bytes: bytes,
    *,
    anchors: list[x509.Certificate],
    untrusted: list[x509.Certificate] | None = None,
) -> standalone.TimestampInfo:
    """Re-verify a stored token without its request (no nonce): the pure verifier, then ``rfc3161-client``."""
    try:
        info = standalone.verify_timestamp_token(response, manifest_bytes, anchors=anchors, untrusted=untrusted)
    except standalone.TimestampCheckError as exc:
        raise TimestampVerificationError(exc.check, exc.detail) from exc
    _library_verify(response, hashlib.sha256(manifest_bytes).digest(), info)
    return info


def verify_timestamp_response(
    response: bytes,
    *,
    manifest_bytes: bytes,
    nonce: int,
    anchors: list[x509.Certificate],
    now: datetime,
    not_before: datetime | None = None,
) -> VerifiedTimestamp:
    """Verify a TSA's answer to :func:`build_timestamp_request` (see the module docstring for the checks).

    ``anchors`` are the configured TSA CA (or pinned TSA) certificates; ``now`` is the current time and
    ``not_before`` the pack's created-at. Raises :class:`TimestampVerificationError`.
    """
    if not anchors:
        raise TimestampVerificationError(standalone.CHECK_CHAIN, "no TSA CA certificate is configured")
    try:
        decoded = decode_timestamp_response(response)
    except ValueError as exc:
        raise TimestampVerificationError(standalone.CHECK_RESPONSE, f"not a DER TimeStampResp ({exc})") from exc
    if decoded.status != PKIStatus.GRANTED:
        name = standalone.PKI_STATUS.get(decoded.status, "unknown")
        texts = "; ".join(decoded.status_string)
        raise TimestampVerificationError(
            standalone.CHECK_STATUS, f"PKIStatus {decoded.status} ({name})" + (f": {texts}" if texts else "")
        )
    try:
        tst_info = decoded.tst_info
        imprint = tst_info.message_imprint
        gen_time = tst_info.gen_time
        token_nonce = tst_info.nonce
    except ValueError as exc:
        raise TimestampVerificationError(standalone.CHECK_TOKEN, f"malformed timeStampToken ({exc})") from exc
    digest = hashlib.sha256(manifest_bytes).digest()
    if imprint.hash_algorithm.dotted_string != standalone.OID_SHA256 or imprint.message != digest:
        raise TimestampVerificationError(
            standalone.CHECK_IMPRINT,
            f"the token covers {imprint.hash_algorithm.dotted_string} {imprint.message.hex()}, "
            f"not SHA-256 {digest.hex()} of the manifest",
        )
    if token_nonce != nonce:
        raise TimestampVerificationError(
            standalone.CHECK_NONCE, f"the token carries nonce {token_nonce}, the request sent {nonce}"
        )
    if gen_time is None or gen_time.tzinfo is None:
        raise TimestampVerificationError(standalone.CHECK_GEN_TIME, "the token has no UTC genTime")
    if gen_time > now + GEN_TIME_MAX_SKEW:
        raise TimestampVerificationError(
            standalone.CHECK_GEN_TIME,
            f"genTime {gen_time.isoformat()} is in the future (now {now.isoformat()}, tolerance {GEN_TIME_MAX_SKEW})",
        )
    if not_before is not None and gen_time < not_before - GEN_TIME_MAX_SKEW:
        raise TimestampVerificationError(
            standalone.CHECK_GEN_TIME,
            f"genTime {gen_time.isoformat()} is before the pack's created-at {not_before.isoformat()}",
        )
    info = verify_timestamp_token_offline(response, manifest_bytes, anchors=anchors)
    return VerifiedTimestamp(
        response=response,
        chain_pem=standalone.certificates_pem(info.chain),
        gen_time=info.gen_time,
        serial_number=info.serial_number,
        tsa_name=info.tsa_name,
    )
