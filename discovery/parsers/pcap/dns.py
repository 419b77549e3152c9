"""DNS question parsing for the pcap reader.

Decoder of the :mod:`discovery.parsers.pcap` package. Pure Python, no Django imports.

* Message header and question section: RFC 1035 section 4.1.1 / 4.1.2; name compression: RFC 1035 section 4.1.4.
* Presentation of non-printable label bytes as ``\\DDD``: RFC 4343 section 2.1 / RFC 1035 section 5.1.
* mDNS (UDP 5353, RFC 6762) and LLMNR (UDP 5355, RFC 4795) reuse the DNS wire format but resolve *local* names
  (``*.local``, bare host names). They are not lookups of Internet destinations and are kept apart by the reader.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

DNS_PORT = 53
MDNS_PORT = 5353
LLMNR_PORT = 5355

_FLAGS_QDCOUNT = struct.Struct("!HH")  # header fields 2 and 3 (RFC 1035 section 4.1.1)
_TYPE_CLASS = struct.Struct("!HH")
_MAX_NAME = 255
_MAX_POINTERS = 16
_PRINTABLE = frozenset(range(0x21, 0x7F)) - {ord("."), ord("\\")}
_PRINTABLE_BYTES = bytes(sorted(_PRINTABLE))


class DnsError(ValueError):
    """Not a well-formed DNS message."""


class Question(NamedTuple):
    name: str
    qtype: int
    qclass: int


def read_name(msg: bytes, pos: int) -> tuple[str, int]:
    """Read a (possibly compressed) domain name at ``pos``; return ``(name, position after the name)``."""
    labels: list[bytes] = []
    end: int | None = None
    total = 0
    jumps = 0
    n = len(msg)
    while True:
        if pos >= n:
            raise DnsError("truncated name")
        length = msg[pos]
        if length & 0xC0 == 0xC0:  # compression pointer
            if pos + 1 >= n:
                raise DnsError("truncated pointer")
            jumps += 1
            if jumps > _MAX_POINTERS:
                raise DnsError("pointer loop")
            if end is None:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            continue
        if length & 0xC0:
            raise DnsError(f"reserved label type {length:#x}")
        pos += 1
        if length == 0:
            break
        if pos + length > n:
            raise DnsError("truncated label")
        total += length + 1
        if total > _MAX_NAME:
            raise DnsError("name too long")
        labels.append(msg[pos : pos + length])
        pos += length
    name = b".".join(labels)
    # the usual case: nothing to escape, i.e. only the separating dots are not printable
    if len(name.translate(None, _PRINTABLE_BYTES)) < len(labels):
        text = name.decode("ascii")
    else:
        text = ".".join(_escape(label) for label in labels)
    return text, (end if end is not None else pos)


def _escape(label: bytes) -> str:
    """A label in presentation format: ``.``/``\\`` escaped as ``\\.``/``\\\\``, other non-printables as ``\\DDD``."""
    if not label.translate(None, _PRINTABLE_BYTES):
        return label.decode("ascii")
    return "".join(chr(b) if b in _PRINTABLE else (f"\\{chr(b)}" if b in b".\\" else f"\\{b:03d}") for b in label)


def parse_questions(msg: bytes) -> list[Question] | None:
    """Return the questions of a DNS *query*; ``None`` for a response (QR bit set)."""
    if len(msg) < 12:
        raise DnsError("short header")
    flags, qdcount = _FLAGS_QDCOUNT.unpack_from(msg, 2)
    if flags & 0x8000:
        return None
    questions: list[Question] = []
    pos = 12
    for _ in range(qdcount):
        name, pos = read_name(msg, pos)
        if pos + 4 > len(msg):
            raise DnsError("truncated question")
        qtype, qclass = _TYPE_CLASS.unpack_from(msg, pos)
        pos += 4
        questions.append(Question(name, qtype, qclass & 0x7FFF))  # mDNS: top bit = unicast-response (RFC 6762 5.4)
    return questions
