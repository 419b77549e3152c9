"""Client→server TCP byte-stream reassembly and application detection (TLS ClientHello, HTTP/1.x requests).

Decoder of the :mod:`discovery.parsers.pcap` package. Pure Python, no Django imports.

Reassembly follows TCP sequence numbers (RFC 9293 section 3.4, modulo 2**32 arithmetic): in-order data is handed to
the application parser, retransmitted/overlapping data is trimmed, out-of-order segments wait in a small, capped
buffer. Only the client→server direction is reassembled, and only while something is still to be learned from it:
once a stream is known to be opaque (TLS after its ClientHello, unknown protocols) it is dropped and only counted.

Application state machine per stream: ``DETECT`` → ``TLS`` (RFC 8446 records until the ClientHello is complete) or
``HEAD`` (HTTP/1.x request head, RFC 9112 section 2) → ``BODY`` / ``CHUNK_*`` (body skipped by counting, never
buffered, RFC 9112 sections 6.3 and 7.1) → ``DETECT`` again for the next request on a persistent connection. After a
``CONNECT`` request the stream is a tunnel and ``DETECT`` looks for the tunnelled TLS ClientHello (RFC 9110 9.3.6).
"""

from __future__ import annotations

import enum
from typing import Any

from .http import (
    MAX_HEAD,
    METHOD_PARTIAL,
    METHOD_PREFIX,
    HttpError,
    RequestHead,
    find_head_end,
    parse_request_head,
)
from .tls import ClientHello, NotClientHello, TlsRecordReassembler

_SEQ_MOD = 1 << 32
_SEQ_HALF = 1 << 31
#: out-of-order bytes kept per stream before giving up on it
MAX_OUT_OF_ORDER = 256 * 1024
MAX_OUT_OF_ORDER_SEGMENTS = 128
_MAX_CHUNK_LINE = 4096


class State(enum.IntEnum):
    DETECT = 0
    TLS = 1
    HEAD = 2
    BODY = 3
    CHUNK_SIZE = 4
    CHUNK_DATA = 5
    TRAILER = 6
    DONE = 7


class ClientStream:
    """The client→server half of one TCP connection.

    Findings are appended to :attr:`results` (``None`` while there are none: a list per stream would be one more
    object per flow for the garbage collector to walk) as tuples and drained by the reader after each segment:
    ``("tls", ClientHello)``, ``("http", RequestHead, body_bytes, complete)``, ``("error", counter_name, message)``.
    """

    __slots__ = (
        "buf",
        "next_seq",
        "ooo",
        "ooo_bytes",
        "remaining",
        "request",
        "request_body",
        "results",
        "state",
        "tls",
    )

    def __init__(self, next_seq: int | None = None) -> None:
        self.next_seq = next_seq
        self.ooo: dict[int, bytes] = {}
        self.ooo_bytes = 0
        self.buf = bytearray()
        self.state = State.DETECT
        self.tls: TlsRecordReassembler | None = None
        self.request: RequestHead | None = None
        self.request_body = 0
        self.remaining = 0
        self.results: list[tuple[Any, ...]] | None = None

    @property
    def done(self) -> bool:
        return self.state is State.DONE

    # -- reassembly --------------------------------------------------------------------------------------------

    def segment(self, seq: int, payload: bytes, wire_len: int, syn: bool) -> None:
        """Add one client→server segment (``seq`` = its sequence number, ``syn`` = SYN flag set)."""
        if self.state is State.DONE:
            return
        if syn:
            seq = (seq + 1) % _SEQ_MOD  # the SYN occupies one sequence number (RFC 9293 section 3.4)
            if self.next_seq is None:
                self.next_seq = seq
        if not payload and not wire_len:
            return
        if self.next_seq is None:  # capture started after the handshake: trust the first data segment
            self.next_seq = seq
        if len(payload) < wire_len:  # snapped: the stream has a hole we can never fill
            self._give_up("reassembly_gaps", "segment truncated by the capture snap length")
            return
        offset = (seq - self.next_seq) % _SEQ_MOD
        if offset >= _SEQ_HALF:  # starts before next_seq: retransmission, possibly with new data at the end
            overlap = _SEQ_MOD - offset
            if overlap >= len(payload):
                return
            payload = payload[overlap:]
            offset = 0
        if offset:
            self._hold(seq, payload)
            return
        self._accept(payload)
        while self.ooo and self.state is not State.DONE:
            if not self._drain_one():
                break

    def _hold(self, seq: int, payload: bytes) -> None:
        previous = self.ooo.get(seq, b"")
        if len(payload) <= len(previous):
            return
        self.ooo_bytes += len(payload) - len(previous)
        self.ooo[seq] = payload
        if self.ooo_bytes > MAX_OUT_OF_ORDER or len(self.ooo) > MAX_OUT_OF_ORDER_SEGMENTS:
            self._give_up("reassembly_gaps", "out-of-order buffer cap reached (lost segment?)")

    def _drain_one(self) -> bool:
        assert self.next_seq is not None
        for seq, payload in self.ooo.items():
            offset = (seq - self.next_seq) % _SEQ_MOD
            if offset == 0 or offset >= _SEQ_HALF:
                del self.ooo[seq]
                self.ooo_bytes -= len(payload)
                skip = 0 if offset == 0 else _SEQ_MOD - offset
                if skip < len(payload):
                    self._accept(payload[skip:])
                return True
        return False

    def _accept(self, data: bytes) -> None:
        assert self.next_seq is not None
        self.next_seq = (self.next_seq + len(data)) % _SEQ_MOD
        self._feed(data)

    def _give_up(self, counter: str, message: str) -> None:
        self._report(("error", counter, message))
        self.close()
        self.state = State.DONE
        self.buf = bytearray()
        self.ooo.clear()
        self.ooo_bytes = 0
        self.tls = None

    def _report(self, result: tuple[Any, ...]) -> None:
        if self.results is None:
            self.results = [result]
        else:
            self.results.append(result)

    def close(self) -> None:
        """End of stream: report a request whose body was not complete."""
        if self.request is not None and self.state in (State.BODY, State.CHUNK_SIZE, State.CHUNK_DATA, State.TRAILER):
            self._report(("http", self.request, self.request_body, False))
            self.request = None

    # -- application parsing -----------------------------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        if self.state is State.DONE:
            return
        if self.state is State.TLS:
            self._feed_tls(data)
            return
        if self.state in (State.BODY, State.CHUNK_DATA) and not self.buf:
            data = self._skip(data)  # fast path: body bytes are counted, not buffered
            if not data:
                return
        self.buf += data
        while self.state is not State.DONE and self._step():
            pass
        if len(self.buf) > MAX_HEAD and self.state is not State.DONE:
            self._give_up("buffer_overflows", f"{self.state.name} buffer above {MAX_HEAD} bytes")

    def _skip(self, data: bytes) -> bytes:
        take = min(self.remaining, len(data))
        self.remaining -= take
        self._body_progress(take)
        return data[take:]

    def _body_progress(self, taken: int) -> None:
        if self.state is State.BODY:
            self.request_body += taken
            if self.remaining == 0:
                self._request_done()
        elif self.state is State.CHUNK_DATA:
            # ``remaining`` includes the CRLF after the chunk data; the CRLF is not body
            self.request_body += taken
            if self.remaining == 0:
                self.request_body -= 2
                self.state = State.CHUNK_SIZE

    def _request_done(self) -> None:
        assert self.request is not None
        self._report(("http", self.request, self.request_body, True))
        self.request = None
        self.state = State.DETECT

    def _step(self) -> bool:
        buf = self.buf
        state = self.state
        if state is State.DETECT:
            if not buf:
                return False
            if buf[0] == 0x16:
                if len(buf) < 2:
                    return False
                if buf[1] != 3:
                    self.state = State.DONE
                    return False
                self.state = State.TLS
                self.tls = TlsRecordReassembler()
                data = bytes(buf)
                buf.clear()
                self._feed_tls(data)
                return False
            if METHOD_PREFIX.match(buf):
                self.state = State.HEAD
                return True
            if len(buf) < 33 and METHOD_PARTIAL.fullmatch(buf):
                return False
            self.state = State.DONE
            return False
        if state is State.HEAD:
            found = find_head_end(buf)
            if found is None:
                if len(buf) > MAX_HEAD:
                    self._give_up("buffer_overflows", "HTTP request head above cap")
                return False
            head = bytes(buf[: found[0]])
            del buf[: found[1]]
            try:
                request = parse_request_head(head)
            except HttpError as exc:
                self._give_up("malformed_http", str(exc))
                return False
            self.request, self.request_body = request, 0
            if request.method == "CONNECT":
                self._request_done()  # the rest of the stream is the tunnel: DETECT looks for TLS in it
            elif request.chunked:
                self.state = State.CHUNK_SIZE
            elif request.content_length:
                self.state, self.remaining = State.BODY, request.content_length
            else:
                self._request_done()
            return True
        if state in (State.BODY, State.CHUNK_DATA):
            if not buf or not self.remaining:
                return False
            take = min(self.remaining, len(buf))
            del buf[:take]
            self.remaining -= take
            self._body_progress(take)
            return True
        if state is State.CHUNK_SIZE:
            newline = buf.find(b"\n")
            if newline < 0:
                if len(buf) > _MAX_CHUNK_LINE:
                    self._give_up("malformed_http", "chunk-size line too long")
                return False
            line = bytes(buf[:newline]).split(b";")[0].strip()
            del buf[: newline + 1]
            try:
                size = int(line, 16)
            except ValueError:
                self._give_up("malformed_http", f"bad chunk size {line[:20]!r}")
                return False
            if size == 0:
                self.state = State.TRAILER
            else:
                self.state, self.remaining = State.CHUNK_DATA, size + 2
            return True
        if state is State.TRAILER:
            newline = buf.find(b"\n")
            if newline < 0:
                return False
            line = bytes(buf[:newline]).strip()
            del buf[: newline + 1]
            if not line:
                self._request_done()
            return True
        return False

    def _feed_tls(self, data: bytes) -> None:
        assert self.tls is not None
        try:
            hello: ClientHello | None = self.tls.feed(data)
        except NotClientHello as exc:
            counter = "buffer_overflows" if "cap" in str(exc) else "not_client_hello"
            self._give_up(counter, str(exc))
            return
        if hello is not None:
            self._report(("tls", hello))
            self.state = State.DONE  # everything after the ClientHello is encrypted
            self.tls = None
            self.buf = bytearray()
            self.ooo.clear()
            self.ooo_bytes = 0
