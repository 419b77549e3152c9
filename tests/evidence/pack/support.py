"""Helpers shared by the evidence-pack tests: fixed inputs, zip surgery, a throw-away RFC 3161 TSA."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence.pack import verify_standalone as layout
from evidence.pack.archive import canonical_json, write_zip
from evidence.pack.keys import SigningKey

CREATED_AT = datetime(2025, 4, 1, 12, 30, 15, tzinfo=UTC)
FILES = {
    "report.pdf": b"%PDF-1.7\n% fake report body\n",
    "data/metrics.csv": b"group,selection_rate\nA,0.41\nB,0.38\n",
    "data/registry.json": b'{"system": "cv-screener"}\n',
    "charts/parity.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    "audit_trail.csv": b"at,actor,event\n2025-03-01T10:00:00Z,alice,classified\n",
}
METADATA: dict[str, Any] = {
    "pack_id": "7d1f3c2e-0000-5000-8000-000000000001",
    "subject": {"system_id": 42, "name": "CV screener"},
    "period": {"start": "2025-01-01", "end": "2025-03-31"},
    "generator_version": "aigov 0.1.0",
    "law_version": "Regulation (EU) 2024/1689 (OJ L, 12.7.2024)",
}

#: under CI a missing peer tool fails the test (it runs and cannot find the tool); elsewhere the test is skipped
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
needs_tools = pytest.mark.skipif(
    not IN_CI and not all(shutil.which(tool) for tool in ("openssl", "sha256sum", "unzip", "bash")),
    reason="needs openssl, sha256sum, unzip and bash on PATH",
)


def require_openssl() -> None:
    """Fail (under CI=true) or skip (elsewhere) when the openssl command line is missing: the TSA tests need it."""
    if shutil.which("openssl") is None:
        if IN_CI:
            pytest.fail("openssl is not on PATH: the RFC 3161 tests need a real TSA (openssl ts -reply)")
        pytest.skip("needs openssl on PATH (a real RFC 3161 TSA: openssl ts -reply)")


def write_self_signed_ca(path: Path) -> Path:
    """A throw-away self-signed CA certificate (PEM) made with cryptography: a well-formed EVIDENCE_TSA_CA_CERT for
    tests that never get as far as a token."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Throw-away TSA CA")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now.replace(year=now.year + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def fixed_key(seed: int) -> SigningKey:
    """A deterministic signing key (never use fixed seeds outside tests)."""
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def private_pem(key: SigningKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a test key, optionally encrypted."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def unzip(pack: bytes) -> dict[str, bytes]:
    """All entries of a pack, by name."""
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(entries: dict[str, bytes]) -> bytes:
    """Write entries back as a (valid, CRC-correct) zip, so only the content change is under test."""
    return write_zip(entries, created_at=CREATED_AT)


def flip_byte(data: bytes) -> bytes:
    """Flip the lowest bit of the middle byte."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def resign(entries: dict[str, bytes], key: SigningKey, edit: Any = None) -> dict[str, bytes]:
    """Re-list every file in the manifest and re-sign it, after ``edit(manifest_dict)``: a consistent forgery."""
    entries = dict(entries)
    manifest = json.loads(entries[layout.MANIFEST])
    listed = {name: data for name, data in entries.items() if name not in layout.UNLISTED_FILES}
    manifest["files"] = [
        {"path": name, "sha256": layout.sha256_hex(data), "size": len(data)} for name, data in sorted(listed.items())
    ]
    if edit is not None:
        edit(manifest)
    entries[layout.MANIFEST] = canonical_json(manifest)
    entries[layout.MANIFEST_SIG] = key.sign(entries[layout.MANIFEST])
    return entries


def shell_commands(verify_txt: bytes) -> list[str]:
    """The commands VERIFY.txt tells auditors to run (lines starting with ``  $ ``)."""
    prefix = "  $ "
    return [line[len(prefix) :] for line in verify_txt.decode("utf-8").splitlines() if line.startswith(prefix)]


def trusted_env(directory: Path, key: SigningKey, **extra: str) -> dict[str, str]:
    """Environment for the VERIFY.txt commands: ``TRUSTED_KEY`` is ``key``'s public PEM written to ``directory``
    (what the auditor downloads from the key page), ``TRUSTED_FINGERPRINT`` its fingerprint (confirmed
    out-of-band)."""
    import os

    directory.mkdir(parents=True, exist_ok=True)
    pem = directory / f"aigov-evidence-{key.key_id}.pem"
    pem.write_bytes(key.public_key_pem)
    return {**os.environ, "TRUSTED_KEY": str(pem.resolve()), "TRUSTED_FINGERPRINT": key.fingerprint, **extra}


def run_verify_txt(workdir: Path, pack: bytes, commands: list[str], env: dict[str, str] | None = None) -> str:
    """Run the VERIFY.txt commands on ``pack`` saved as PACK.zip in ``workdir``; raise CalledProcessError on failure.

    ``set -euo pipefail`` makes the first failing command fail the whole run, as an auditor would stop there.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "PACK.zip").write_bytes(pack)
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    completed = subprocess.run(
        ["bash", "-c", script], cwd=workdir, capture_output=True, text=True, check=True, env=env, timeout=60
    )
    return completed.stdout + completed.stderr


TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {serial}
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
[ v3_tsa ]
basicConstraints = critical,CA:false
extendedKeyUsage = critical,timeStamping
keyUsage = critical,digitalSignature
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign
[ v3_no_eku ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
"""


class FakeTsa:
    """A real RFC 3161 TSA, ``openssl ts -reply``, with a throw-away CA and TSA certificate (timeStamping EKU)
    generated by ``openssl req`` in ``directory`` (no network). ``name`` tells two TSAs apart."""

    def __init__(self, directory: Path, name: str = "Test") -> None:
        require_openssl()
        self.directory = directory
        self.config = directory / "tsa.cnf"
        self.config.write_text(TSA_CONFIG.format(serial=directory / "serial"))
        (directory / "serial").write_text("01\n")
        self.ca_file = directory / "ca.pem"
        self.cert_file = directory / "tsa.pem"
        ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        self._openssl(f"req -x509 {ec} -keyout ca.key -out ca.pem -days 3650 -extensions v3_ca -subj /CN={name}CA")
        self._openssl(f"req -new {ec} -keyout tsa.key -out tsa.csr -subj /CN={name}TSA")
        self._openssl(
            "x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out tsa.pem -days 3650"
            " -extfile tsa.cnf -extensions v3_tsa"
        )

    def _openssl(self, arguments: str) -> None:
        command = ["openssl", *shlex.split(arguments)]
        if command[1] in ("req", "ts"):
            command += ["-config", str(self.config)]
        subprocess.run(command, cwd=self.directory, capture_output=True, check=True, timeout=60)

    def reply(self, request: bytes) -> bytes:
        """Answer a DER TimeStampReq with a DER TimeStampResp."""
        (self.directory / "request.tsq").write_bytes(request)
        self._openssl("ts -reply -queryfile request.tsq -signer tsa.pem -inkey tsa.key -out response.tsr")
        return (self.directory / "response.tsr").read_bytes()

    def sign_without_eku(self, response: bytes) -> bytes:
        """``response``'s TSTInfo re-signed (``openssl cms -sign``) with the TSA's key under a certificate from the
        same CA that lacks the timeStamping extended key usage: a signer the TSA CA never meant to stamp time."""
        root = layout.der_read(response)
        signed_data = root.children[1].children[1].children[0]
        tst_info = signed_data.children[2].children[1].children[0].content
        (self.directory / "tst_info.der").write_bytes(tst_info)
        self._openssl(
            "x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out no-eku.pem -days 30"
            " -extfile tsa.cnf -extensions v3_no_eku"
        )
        self._openssl(
            "cms -sign -binary -nodetach -outform DER -econtent_type 1.2.840.113549.1.9.16.1.4 -md sha256"
            " -nosmimecap -signer no-eku.pem -inkey tsa.key -in tst_info.der -out token.der"
        )
        granted = bytes.fromhex("3003020100")  # PKIStatusInfo { granted }
        return der_sequence(granted + (self.directory / "token.der").read_bytes())

    def reject(self) -> bytes:
        """A real rejection: the answer to a SHA-1 query, which this TSA's policy (``digests = sha256``) refuses."""
        (self.directory / "data.bin").write_bytes(b"anything")
        self._openssl("ts -query -data data.bin -sha1 -cert -out sha1.tsq")
        self._openssl("ts -reply -queryfile sha1.tsq -signer tsa.pem -inkey tsa.key -out rejected.tsr")
        return (self.directory / "rejected.tsr").read_bytes()


def der_sequence(content: bytes) -> bytes:
    """A DER SEQUENCE around already-encoded ``content``."""
    length = len(content)
    encoded = bytes([length]) if length < 0x80 else bytes([0x80 | 2]) + length.to_bytes(2, "big")
    return b"\x30" + encoded + content


def _request_fields(request: bytes) -> tuple[layout.Der, layout.Der]:
    root = layout.der_read(request)
    return root.children[1].children[1], root.children[2]  # the hashed message, the nonce


def with_other_imprint(request: bytes) -> bytes:
    """The request with another SHA-256 digest (same nonce): the TSA then stamps some other document."""
    digest, _ = _request_fields(request)
    return request.replace(digest.content, bytes(byte ^ 0xFF for byte in digest.content), 1)


def with_other_nonce(request: bytes) -> bytes:
    """The request with its nonce's last byte changed: a replayed or mixed-up answer."""
    _, nonce = _request_fields(request)
    changed = nonce.raw[:-1] + bytes([nonce.raw[-1] ^ 0x01])
    return request.replace(nonce.raw, changed, 1)
