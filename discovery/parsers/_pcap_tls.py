"""TLS ClientHello parsing for the pcap reader (shared by TLS-over-TCP and QUIC CRYPTO streams).

Private helper of :mod:`discovery.parsers.pcap`. Pure Python, no Django imports.

* ClientHello layout: RFC 8446 section 4.1.2 (same wire layout as RFC 5246 section 7.4.1.2).
* Record layer: RFC 8446 section 5.1 (a handshake message may span several records).
* server_name extension (type 0): RFC 6066 section 3.
* ALPN extension (type 16): RFC 7301 section 3.1.
* supported_versions (type 43): RFC 8446 section 4.2.1.
* encrypted_client_hello (type 0xfe0d): draft-ietf-tls-esni (TLS Encrypted Client Hello). When present, the visible
  SNI is the *outer* name (the ECH config's public_name) and may not be the real destination. GREASE ECH
  (draft section 6.2) is deliberately indistinguishable on the wire, so modern Chrome sets this flag too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HANDSHAKE_CLIENT_HELLO = 1
CONTENT_TYPE_HANDSHAKE = 22
EXT_SERVER_NAME = 0
EXT_ALPN = 16
EXT_SUPPORTED_VERSIONS = 43
EXT_ECH = 0xFE0D

#: upper bound for a ClientHello we are willing to buffer (post-quantum hellos are ~1.8 KiB; 64 KiB is generous)
MAX_HELLO = 64 * 1024
#: RFC 8446 section 5.1: TLSPlaintext.length must not exceed 2^14 (older stacks: + 2048 for compression)
MAX_RECORD = 2**14 + 2048

#: outer (public) names of well-known ECH deployments: an SNI equal to one of these says nothing about the target
KNOWN_ECH_PUBLIC_NAMES = frozenset({"cloudflare-ech.com"})

_GREASE = frozenset(0x0A0A + 0x1010 * i for i in range(16))  # RFC 8701


class NotClientHello(ValueError):
    """The bytes are not (or not a well-formed) TLS ClientHello."""


@dataclass(slots=True)
class ClientHello:
    """The fields of a ClientHello that discovery needs."""

    sni: str | None
    length: int = 0  # handshake body length (tshark ``tls.handshake.length``)
    alpn: list[str] = field(default_factory=list)
    ech: bool = False
    versions: list[int] = field(default_factory=list)
    legacy_version: int = 0
    extension_types: list[int] = field(default_factory=list)


def _vec(body: bytes, pos: int, width: int) -> tuple[bytes, int]:
    """Read a length-prefixed vector (RFC 8446 section 3.4) of ``width`` length bytes."""
    if pos + width > len(body):
        raise NotClientHello("truncated vector length")
    length = int.from_bytes(body[pos : pos + width], "big")
    start = pos + width
    if start + length > len(body):
        raise NotClientHello("truncated vector")
    return body[start : start + length], start + length


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello *body* (the handshake message without its 4-byte type/length header)."""
    if len(body) < 2 + 32:
        raise NotClientHello("short ClientHello")
    legacy_version = int.from_bytes(body[0:2], "big")
    pos = 34  # legacy_version + random
    _session_id, pos = _vec(body, pos, 1)
    _suites, pos = _vec(body, pos, 2)
    _compression, pos = _vec(body, pos, 1)
    hello = ClientHello(sni=None, length=len(body), legacy_version=legacy_version)
    if pos == len(body):  # SSLv3/TLS 1.0 hello without extensions
        return hello
    extensions, _ = _vec(body, pos, 2)
    epos = 0
    while epos + 4 <= len(extensions):
        etype = int.from_bytes(extensions[epos : epos + 2], "big")
        edata, epos = _vec(extensions, epos + 2, 2)
        hello.extension_types.append(etype)
        if etype == EXT_SERVER_NAME and edata:
            names, _ = _vec(edata, 0, 2)
            npos = 0
            while npos + 3 <= len(names):
                name_type = names[npos]
                name, npos = _vec(names, npos + 1, 2)
                if name_type == 0 and hello.sni is None:  # host_name
                    hello.sni = name.decode("ascii", "backslashreplace")
        elif etype == EXT_ALPN and edata:
            protocols, _ = _vec(edata, 0, 2)
            ppos = 0
            while ppos < len(protocols):
                proto, ppos = _vec(protocols, ppos, 1)
                hello.alpn.append(proto.decode("ascii", "backslashreplace"))
        elif etype == EXT_SUPPORTED_VERSIONS and edata:
            versions, _ = _vec(edata, 0, 1)
            hello.versions = [
                v
                for i in range(0, len(versions) - 1, 2)
                if (v := int.from_bytes(versions[i : i + 2], "big")) not in _GREASE
            ]
        elif etype == EXT_ECH:
            hello.ech = True
    return hello


def handshake_message(buffer: bytes | bytearray) -> bytes | None:
    """Return the first complete handshake message body in ``buffer`` if it is a ClientHello.

    ``None`` means "need more bytes"; raises :class:`NotClientHello` if the first message is something else or too
    large (RFC 8446 section 4: ``msg_type`` (1) + ``uint24 length``).
    """
    if len(buffer) < 4:
        return None
    if buffer[0] != HANDSHAKE_CLIENT_HELLO:
        raise NotClientHello(f"handshake type {buffer[0]}")
    length = int.from_bytes(buffer[1:4], "big")
    if length > MAX_HELLO:
        raise NotClientHello(f"ClientHello length {length} above cap")
    if len(buffer) < 4 + length:
        return None
    return bytes(buffer[4 : 4 + length])


class TlsRecordReassembler:
    """Collect TLS handshake records from a reassembled client byte stream until the ClientHello is complete.

    Feed contiguous stream bytes; :meth:`feed` returns the ClientHello once the record length(s) and the handshake
    length are satisfied, ``None`` while more bytes are needed, and raises :class:`NotClientHello` otherwise.
    """

    __slots__ = ("_handshake", "_records")

    def __init__(self) -> None:
        self._records = bytearray()
        self._handshake = bytearray()

    def feed(self, data: bytes) -> ClientHello | None:
        self._records += data
        records = self._records
        while len(records) >= 5:
            if records[0] != CONTENT_TYPE_HANDSHAKE or records[1] != 3:
                raise NotClientHello(f"record type {records[0]} version {records[1]}")
            length = (records[3] << 8) | records[4]
            if length > MAX_RECORD:
                raise NotClientHello(f"record length {length}")
            if len(records) < 5 + length:
                break
            self._handshake += records[5 : 5 + length]
            del records[: 5 + length]
            body = handshake_message(self._handshake)
            if body is not None:
                return parse_client_hello(body)
        if len(self._records) + len(self._handshake) > MAX_HELLO + 5:
            raise NotClientHello("reassembly buffer cap reached")
        return None
