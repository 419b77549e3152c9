"""A real RFC 5425 receiver for the TLS delivery tests: Debian's syslog-ng (package syslog-ng-core, installed by
.ci/run), with ``syslog(transport("tls"))`` sources on loopback writing what they receive to files, and the
certificates it serves made here (a CA, a server certificate for 127.0.0.1/localhost, a client certificate).

Under ``CI=true`` a missing syslog-ng fails the tests that need it; elsewhere they are skipped.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def require_syslog_ng() -> str:
    path = shutil.which("syslog-ng") or ("/usr/sbin/syslog-ng" if Path("/usr/sbin/syslog-ng").exists() else None)
    if path is None:
        message = "syslog-ng is not installed (apt-get install syslog-ng-core; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


@dataclass(frozen=True)
class CA:
    name: str
    cert: Path
    key_pem: bytes

    def issue(self, folder: Path, name: str, *, dns: list[str], ips: list[str], client: bool = False) -> Issued:
        ca_cert = x509.load_pem_x509_certificate(self.cert.read_bytes())
        ca_key = serialization.load_pem_private_key(self.key_pem, password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        builder = (
            _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return _write(folder, name, cert, key)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _write(folder: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return Issued(cert_path, key_path)


def make_ca(folder: Path, name: str) -> CA:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(subject, subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    issued = _write(folder, name, cert, key)
    return CA(name, issued.cert, issued.key.read_bytes())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Source:
    """One TLS listener of the receiver and the file it writes: ``PROGRAM<TAB>MSGID<TAB>raw frame`` per message."""

    port: int
    out: Path

    def lines(self) -> list[str]:
        return self.out.read_text().splitlines() if self.out.exists() else []

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.lines()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.lines()


@dataclass
class SyslogNG:
    process: subprocess.Popen[bytes]
    log: Path
    ca: CA
    client: Issued
    server: Source  # server certificate for 127.0.0.1 and localhost, any client
    mutual: Source  # the same, and a client certificate from the CA is required

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


CONFIG = """@version: 3.38
options {{ stats_freq(0); keep_hostname(yes); }};
source s_server {{ syslog(ip("127.0.0.1") port({server_port}) transport("tls") flags(store-raw-message)
    tls(key-file("{key}") cert-file("{cert}") peer-verify(optional-untrusted))); }};
source s_mutual {{ syslog(ip("127.0.0.1") port({mutual_port}) transport("tls") flags(store-raw-message)
    tls(key-file("{key}") cert-file("{cert}") ca-file("{ca}") peer-verify(required-trusted))); }};
destination d_server {{ file("{server_out}" template("$PROGRAM\\t$MSGID\\t$RAWMSG\\n")); }};
destination d_mutual {{ file("{mutual_out}" template("$PROGRAM\\t$MSGID\\t$RAWMSG\\n")); }};
log {{ source(s_server); destination(d_server); }};
log {{ source(s_mutual); destination(d_mutual); }};
"""


def start_syslog_ng(folder: Path) -> SyslogNG:
    binary = require_syslog_ng()
    ca = make_ca(folder, "aigov-test-ca")
    server = ca.issue(folder, "receiver", dns=["localhost"], ips=["127.0.0.1"])
    client = ca.issue(folder, "aigov-client", dns=[], ips=[], client=True)
    last_error = ""
    for _ in range(3):  # the ports are picked free, then bound by syslog-ng: retry if another process took one
        server_source, mutual_source = Source(free_port(), folder / "server.log"), Source(free_port(), folder / "m.log")
        config = folder / "syslog-ng.conf"
        config.write_text(
            CONFIG.format(
                server_port=server_source.port,
                mutual_port=mutual_source.port,
                key=server.key,
                cert=server.cert,
                ca=ca.cert,
                server_out=server_source.out,
                mutual_out=mutual_source.out,
            )
        )
        log = folder / "syslog-ng.stderr"
        argv = [binary, "-F", "-e", "--no-caps", "-f", str(config), "-p", str(folder / "pid")]
        argv += ["-c", str(folder / "ctl"), "-R", str(folder / "persist")]
        with log.open("wb") as stderr:
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        receiver = SyslogNG(process, log, ca, client, server_source, mutual_source)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if log.read_text(errors="replace").count("Accepting connections") >= 2:
                return receiver
            time.sleep(0.05)
        receiver.stop()
        last_error = log.read_text(errors="replace")
    pytest.fail(f"syslog-ng did not start:\n{last_error}")
