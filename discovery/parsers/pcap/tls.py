"""TLS ClientHello parsing for the pcap reader (shared by TLS-over-TCP and QUIC CRYPTO streams).

Decoder of the :mod:`discovery.parsers.pcap` package. Pure Python, no Django imports.

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


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello *body* (the handshake message without its 4-byte type/length header).

    Raises :class:`NotClientHello` if a length-prefixed vector (RFC 8446 section 3.4) has its length field or its
    contents past the end of the vector that holds it; bytes after the extensions are ignored.
    """
    if len(body) < 2 + 32:
        raise NotClientHello("short ClientHello")
    hello = ClientHello(sni=None, length=len(body), legacy_version=(body[0] << 8) | body[1])
    hello.sni = _walk(body, hello)
    return hello


def client_hello_sni(body: bytes) -> str | None:
    """The SNI host name of a ClientHello *body*: ``parse_client_hello(body).sni``, with the same checks and
    errors, without collecting the other fields."""
    if len(body) < 2 + 32:
        raise NotClientHello("short ClientHello")
    return _walk(body, None)


def _walk(body: bytes, hello: ClientHello | None) -> str | None:
    """Check the vectors of a ClientHello body (at least 34 bytes) by offset and return its first host_name; fill
    ``hello``'s ALPN, supported versions, ECH flag and extension types if given."""
    n = len(body)
    sni: str | None = None
    # legacy_version and random (34 bytes), then legacy_session_id <0..32>, cipher_suites <2..2^16-2> and
    # legacy_compression_methods <1..2^8-1>
    if n < 35:
        raise NotClientHello("truncated vector length")
    pos = 35 + body[34]
    if pos + 2 > n:
        raise NotClientHello("truncated vector" if pos > n else "truncated vector length")
    pos += 2 + ((body[pos] << 8) | body[pos + 1])
    if pos + 1 > n:
        raise NotClientHello("truncated vector" if pos > n else "truncated vector length")
    pos += 1 + body[pos]
    if pos > n:
        raise NotClientHello("truncated vector")
    if pos == n:  # SSLv3/TLS 1.0 hello without extensions
        return None
    if pos + 2 > n:
        raise NotClientHello("truncated vector length")
    epos = pos + 2
    ext_end = epos + ((body[pos] << 8) | body[pos + 1])
    if ext_end > n:
        raise NotClientHello("truncated vector")
    while epos + 4 <= ext_end:
        etype = (body[epos] << 8) | body[epos + 1]
        start = epos + 4
        epos = start + ((body[epos + 2] << 8) | body[epos + 3])
        if epos > ext_end:
            raise NotClientHello("truncated vector")
        if hello is not None:
            hello.extension_types.append(etype)
        if start == epos:
            if etype == EXT_ECH and hello is not None:
                hello.ech = True
            continue
        if etype in (EXT_SERVER_NAME, EXT_ALPN):
            # ServerNameList / ProtocolNameList: a 2-byte length, then entries
            if start + 2 > epos:
                raise NotClientHello("truncated vector length")
            lpos = start + 2
            list_end = lpos + ((body[start] << 8) | body[start + 1])
            if list_end > epos:
                raise NotClientHello("truncated vector")
            if etype == EXT_SERVER_NAME:
                while lpos + 3 <= list_end:  # name_type (1), then HostName <1..2^16-1>
                    name_type = body[lpos]
                    name_start = lpos + 3
                    lpos = name_start + ((body[lpos + 1] << 8) | body[lpos + 2])
                    if lpos > list_end:
                        raise NotClientHello("truncated vector")
                    if name_type == 0 and sni is None:  # host_name
                        sni = body[name_start:lpos].decode("ascii", "backslashreplace")
            else:
                while lpos < list_end:  # ProtocolName <1..2^8-1>
                    name_start = lpos + 1
                    lpos = name_start + body[lpos]
                    if lpos > list_end:
                        raise NotClientHello("truncated vector")
                    if hello is not None:
                        hello.alpn.append(body[name_start:lpos].decode("ascii", "backslashreplace"))
        elif etype == EXT_SUPPORTED_VERSIONS:
            vend = start + 1 + body[start]  # ProtocolVersion versions <2..254>
            if vend > epos:
                raise NotClientHello("truncated vector")
            if hello is not None:
                hello.versions = [
                    v for i in range(start + 1, vend - 1, 2) if (v := (body[i] << 8) | body[i + 1]) not in _GREASE
                ]
        elif etype == EXT_ECH and hello is not None:
            hello.ech = True
    return sni


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
