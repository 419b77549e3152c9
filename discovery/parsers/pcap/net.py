"""Link, network and transport header decoding for the pcap reader: ``struct`` only, no scapy dissection.

Decoder of the :mod:`discovery.parsers.pcap` package. Pure Python, no Django imports.

Link types (tcpdump.org "LINK-LAYER HEADER TYPES"): ``LINKTYPE_NULL`` (0, BSD loopback, 4-byte address family in the
*capturing host's* byte order), ``LINKTYPE_ETHERNET`` (1, IEEE 802.3 with 802.1Q/802.1ad VLAN tags),
``LINKTYPE_RAW`` (101, and the historic ``DLT_RAW`` values 12 and 14 that some files carry), ``LINKTYPE_LOOP``
(108, OpenBSD loopback, address family in network byte order), ``LINKTYPE_LINUX_SLL``/``SLL2`` (113/276),
``LINKTYPE_IPV4``/``IPV6`` (228/229).
Network: IPv4 (RFC 791), IPv6 with extension headers (RFC 8200). Transport: TCP (RFC 9293), UDP (RFC 768).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW_BSD = 12
LINKTYPE_RAW_OPENBSD = 14
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

SUPPORTED_LINKTYPES = frozenset(
    {
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW_BSD,
        LINKTYPE_RAW_OPENBSD,
        LINKTYPE_RAW,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
    }
)

PROTO_TCP = 6
PROTO_UDP = 17

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_ACK = 0x10

_ETH_IPV4 = 0x0800
_ETH_IPV6 = 0x86DD
_ETH_VLAN = frozenset({0x8100, 0x88A8, 0x9100})
# IPv6 extension headers that may precede the transport header (RFC 8200 section 4): hop-by-hop, routing,
# destination options; fragment (44) and AH (51, RFC 4302) are handled separately.
_IPV6_EXT = frozenset({0, 43, 60})

_U16 = struct.Struct("!H")
_TCP_HDR = struct.Struct("!HHIIBB")
_UDP_HDR = struct.Struct("!HHH")


class Truncated(ValueError):
    """A header needs more bytes than the capture holds (snap length or a cut-off file)."""


class Undecodable(ValueError):
    """A header is present but its fields are impossible (bad IHL, bad version, ...)."""


class Segment(NamedTuple):
    """A decoded TCP segment or UDP datagram.

    ``payload`` holds the captured bytes; ``wire_len`` is the payload length from the IP/UDP length fields (what was
    sent), which is larger than ``len(payload)`` when the capture was snapped.
    """

    proto: int
    family: int  # 4 or 6
    src: bytes
    dst: bytes
    sport: int
    dport: int
    payload: bytes
    wire_len: int
    flags: int  # TCP flags, 0 for UDP
    seq: int  # TCP sequence number, 0 for UDP


def ip_offset(linktype: int, data: bytes) -> int | None:
    """Return the offset of the IP header inside a frame, or ``None`` for a non-IP frame (ARP, LLC, ...)."""
    if linktype == LINKTYPE_ETHERNET:
        if len(data) < 14:
            raise Truncated("ethernet header")
        ethertype = (data[12] << 8) | data[13]
        offset = 14
        while ethertype in _ETH_VLAN:  # IEEE 802.1Q tag / 802.1ad QinQ
            if len(data) < offset + 4:
                raise Truncated("vlan tag")
            ethertype = (data[offset + 2] << 8) | data[offset + 3]
            offset += 4
        if ethertype in (_ETH_IPV4, _ETH_IPV6):
            return offset
        return None
    if linktype in (LINKTYPE_RAW, LINKTYPE_RAW_BSD, LINKTYPE_RAW_OPENBSD, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return 0
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        # The 4-byte address family is host-order for NULL and network-order for LOOP, and its IPv6 value differs
        # between BSDs (24, 28, 30): the IP version nibble that follows is the reliable signal.
        if len(data) < 5:
            raise Truncated("loopback header")
        return 4 if data[4] >> 4 in (4, 6) else None
    if linktype == LINKTYPE_LINUX_SLL:
        if len(data) < 16:
            raise Truncated("sll header")
        return 16 if _U16.unpack_from(data, 14)[0] in (_ETH_IPV4, _ETH_IPV6) else None
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(data) < 20:
            raise Truncated("sll2 header")
        return 20 if _U16.unpack_from(data, 0)[0] in (_ETH_IPV4, _ETH_IPV6) else None
    return None


def decode_segment(linktype: int, data: bytes) -> Segment | None:
    """Decode link, IP and TCP/UDP headers of one captured frame.

    Returns ``None`` for frames that are not TCP/UDP over IP (ARP, ICMP, non-first IP fragments, ...).
    Raises :class:`Truncated` or :class:`Undecodable` for frames whose headers cannot be read.
    """
    off = ip_offset(linktype, data)
    if off is None:
        return None
    n = len(data)
    if n < off + 1:
        raise Truncated("ip header")
    version = data[off] >> 4
    if version == 4:
        # RFC 791 section 3.1
        if n < off + 20:
            raise Truncated("ipv4 header")
        ihl = (data[off] & 0x0F) * 4
        if ihl < 20:
            raise Undecodable(f"ipv4 ihl {ihl}")
        total = _U16.unpack_from(data, off + 2)[0]
        frag = _U16.unpack_from(data, off + 6)[0]
        if frag & 0x1FFF:
            return None  # non-first fragment: no transport header
        proto = data[off + 9]
        src = data[off + 12 : off + 16]
        dst = data[off + 16 : off + 20]
        family = 4
        if total == 0:  # TCP segmentation offload: length left at 0 by the NIC
            total = n - off
        elif total < ihl:
            raise Undecodable(f"ipv4 total length {total} < ihl {ihl}")
        end = off + total
        pos = off + ihl
    elif version == 6:
        # RFC 8200 section 3
        if n < off + 40:
            raise Truncated("ipv6 header")
        plen = _U16.unpack_from(data, off + 4)[0]
        proto = data[off + 6]
        src = data[off + 8 : off + 24]
        dst = data[off + 24 : off + 40]
        family = 6
        pos = off + 40
        end = pos + plen if plen else n  # 0 = jumbogram (RFC 2675) or offload
        while True:
            if proto in _IPV6_EXT:
                if n < pos + 2:
                    raise Truncated("ipv6 extension header")
                proto, pos = data[pos], pos + (data[pos + 1] + 1) * 8
            elif proto == 44:  # fragment header
                if n < pos + 8:
                    raise Truncated("ipv6 fragment header")
                if _U16.unpack_from(data, pos + 2)[0] >> 3:
                    return None
                proto, pos = data[pos], pos + 8
            elif proto == 51:  # authentication header, RFC 4302 section 2.2: length in 4-octet units minus 2
                if n < pos + 2:
                    raise Truncated("ipv6 authentication header")
                proto, pos = data[pos], pos + (data[pos + 1] + 2) * 4
            else:
                break
    else:
        raise Undecodable(f"ip version {version}")

    cap_end = min(end, n)
    if proto == PROTO_TCP:
        if cap_end < pos + 20:
            raise Truncated("tcp header")
        sport, dport, seq, _ack, doff, flags = _TCP_HDR.unpack_from(data, pos)
        hlen = (doff >> 4) * 4
        if hlen < 20:
            raise Undecodable(f"tcp data offset {hlen}")
        start = pos + hlen
        if cap_end < start:
            raise Truncated("tcp options")
        return Segment(PROTO_TCP, family, src, dst, sport, dport, data[start:cap_end], max(end - start, 0), flags, seq)
    if proto == PROTO_UDP:
        if cap_end < pos + 8:
            raise Truncated("udp header")
        sport, dport, ulen = _UDP_HDR.unpack_from(data, pos)
        start = pos + 8
        if ulen >= 8:
            wire = ulen - 8
            stop = min(start + wire, cap_end)
        else:  # 0 is allowed for IPv6 jumbograms; smaller is bogus, fall back to the IP length
            wire = max(end - start, 0)
            stop = cap_end
        return Segment(PROTO_UDP, family, src, dst, sport, dport, data[start:stop], wire, 0, 0)
    return None
