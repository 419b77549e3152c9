"""Open uploaded log files as a stream of text lines: plain, gzip or zip, with archive-bomb limits.

Everything is streamed in fixed-size chunks: memory stays constant in the size of the input (one chunk plus the
longest line, itself capped by ``StreamLimits.max_line_chars``). Limits are enforced *while* decompressing, on the
bytes actually produced, so an archive that lies about its sizes in its headers is still stopped.
"""

from __future__ import annotations

import codecs
import gzip
import io
import itertools
import os
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import IO, Self, cast

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_EMPTY_MAGIC = b"PK\x05\x06"
CHUNK_SIZE = 64 * 1024

#: a readable binary stream: a file, a GzipFile, a zip entry
type _Binary = IO[bytes] | io.BufferedIOBase


class ArchiveError(ValueError):
    """The input cannot be read as the archive it claims to be (corrupt, encrypted, nested, unseekable zip)."""


class ArchiveLimitExceeded(ArchiveError):
    """Decompressed size or entry count went over :class:`StreamLimits` (zip/gzip bomb protection)."""


class UnsafeArchiveEntry(ArchiveError):
    """A zip entry name is absolute or climbs out of the archive root (``../``): the whole archive is rejected."""


@dataclass(frozen=True, slots=True)
class StreamLimits:
    #: total bytes after decompression, across all entries (4 GiB: a month of a busy proxy's access.log)
    max_uncompressed_bytes: int = 4 * 1024**3
    #: regular-file entries in a zip
    max_entries: int = 1000
    #: longer lines are truncated (the rest is discarded up to the next newline) so one line cannot exhaust memory
    max_line_chars: int = 1024 * 1024


DEFAULT_LIMITS = StreamLimits()


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def consume(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise ArchiveLimitExceeded(
                f"decompressed input exceeds the limit of {self.limit} bytes (possible archive bomb)"
            )


class _PrefixedReader(io.RawIOBase):
    """A non-seekable binary stream with already-read ``prefix`` bytes put back in front."""

    def __init__(self, prefix: bytes, raw: IO[bytes]) -> None:
        self._prefix = prefix
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def check_entry_name(name: str) -> None:
    """Raise :class:`UnsafeArchiveEntry` for absolute names, drive letters and ``..`` components."""
    if not name or "\x00" in name:
        raise UnsafeArchiveEntry(f"invalid zip entry name {name!r}")
    windows = PureWindowsPath(name)
    if name.startswith(("/", "\\")) or windows.drive or windows.is_absolute() or PurePosixPath(name).is_absolute():
        raise UnsafeArchiveEntry(f"absolute path in zip entry {name!r}")
    if ".." in name.replace("\\", "/").split("/"):
        raise UnsafeArchiveEntry(f"path traversal in zip entry {name!r}")


def _iter_chunks(stream: _Binary, budget: _Budget) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK_SIZE):
            budget.consume(len(chunk))
            yield chunk
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:  # gzip.BadGzipFile is an OSError
        raise ArchiveError(f"corrupt compressed input: {exc}") from exc


class _Skip:
    """Drops the first ``remaining`` bytes of a sequence of blocks (across zip members): the content an earlier
    batch already counted, when only a file's new tail is ingested."""

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining

    def apply(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if self.remaining:
                if len(chunk) <= self.remaining:
                    self.remaining -= len(chunk)
                    continue
                chunk, self.remaining = chunk[self.remaining :], 0
            yield chunk


def _iter_lines(chunks: Iterable[bytes], max_line_chars: int) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer = ""
    skipping = False  # inside an over-long line whose head was already yielded
    first = True
    for chunk in itertools.chain(chunks, [b""]):
        final = chunk == b""
        text = decoder.decode(chunk, final=final)
        if first and text:
            text = text.removeprefix("\ufeff")
            first = False
        parts = (buffer + text).split("\n")
        buffer = parts.pop()
        for line in parts:
            if skipping:
                skipping = False
                continue
            yield line[:max_line_chars].removesuffix("\r")
        if len(buffer) > max_line_chars:
            if not skipping:
                yield buffer[:max_line_chars]
                skipping = True
            buffer = ""
    if buffer and not skipping:
        yield buffer.removesuffix("\r")


class TextStream:
    """Lines (without newline) of a plain, gzip or zip input; a context manager and an iterator.

    ``entry_name`` is the zip member being read (``None`` for plain/gzip input).
    """

    def __init__(
        self, fileobj: IO[bytes], *, limits: StreamLimits, owned: bool, name: str | None, skip_bytes: int = 0
    ) -> None:
        self.limits = limits
        self.skip_bytes = skip_bytes
        self.name = name
        self.entry_name: str | None = None
        self._fileobj = fileobj
        self._owned = owned
        self._budget = _Budget(limits.max_uncompressed_bytes)
        self._closers: list[_Binary] = []
        self._lines = self._generate()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._lines.close()
        for stream in self._closers:
            stream.close()
        if self._owned:
            self._fileobj.close()

    @property
    def bytes_read(self) -> int:
        """Decompressed bytes produced so far."""
        return self._budget.used

    def _generate(self) -> Generator[str]:
        skip = _Skip(self.skip_bytes)
        for chunks in self._members():
            yield from _iter_lines(skip.apply(chunks), self.limits.max_line_chars)

    def content_chunks(self) -> Iterator[bytes]:
        """The decompressed bytes (zip members concatenated in archive order), in blocks, after ``skip_bytes``:
        what content-level deduplication hashes. Under the same limits as the lines; use instead of iterating."""
        skip = _Skip(self.skip_bytes)
        for chunks in self._members():
            yield from skip.apply(chunks)

    def _members(self) -> Iterator[Iterator[bytes]]:
        """Per member (one for plain or gzip input, one per zip entry), its decompressed blocks."""
        head, stream = _peek(self._fileobj, 4)
        if head.startswith(ZIP_MAGIC) or head.startswith(ZIP_EMPTY_MAGIC):
            yield from self._zip(stream)
        else:
            yield _iter_chunks(self._maybe_gunzip(head, stream), self._budget)

    def _maybe_gunzip(self, head: bytes, stream: _Binary) -> _Binary:
        if head.startswith(GZIP_MAGIC):
            gz = gzip.GzipFile(fileobj=stream, mode="rb")
            self._closers.append(gz)
            return gz
        return stream

    def _zip(self, stream: IO[bytes]) -> Iterator[Iterator[bytes]]:
        if not stream.seekable():
            raise ArchiveError("zip input must be seekable (upload it as a file, or use gzip for streams)")
        try:
            archive = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as exc:
            raise ArchiveError(f"corrupt zip: {exc}") from exc
        with archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            for info in archive.infolist():
                check_entry_name(info.filename)
            if len(members) > self.limits.max_entries:
                raise ArchiveLimitExceeded(f"zip has {len(members)} entries, the limit is {self.limits.max_entries}")
            declared = sum(info.file_size for info in members)
            if declared > self.limits.max_uncompressed_bytes:
                raise ArchiveLimitExceeded(
                    f"zip declares {declared} uncompressed bytes, the limit is {self.limits.max_uncompressed_bytes}"
                )
            for info in members:
                self.entry_name = info.filename
                try:
                    member = cast(zipfile.ZipExtFile, archive.open(info))  # typeshed says IO[bytes]
                except (RuntimeError, NotImplementedError, zipfile.BadZipFile) as exc:
                    raise ArchiveError(f"cannot open zip entry {info.filename!r}: {exc}") from exc
                with member:
                    try:
                        head = member.peek(4)[:4]
                    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                        raise ArchiveError(f"corrupt zip entry {info.filename!r}: {exc}") from exc
                    if head.startswith(ZIP_MAGIC):
                        raise ArchiveError(f"nested zip archive {info.filename!r} is not supported")
                    yield _iter_chunks(self._maybe_gunzip(head, member), self._budget)


def _peek(fileobj: IO[bytes], size: int) -> tuple[bytes, IO[bytes]]:
    if fileobj.seekable():
        position = fileobj.tell()
        head = fileobj.read(size)
        fileobj.seek(position)
        return head, fileobj
    head = fileobj.read(size)
    return head, io.BufferedReader(_PrefixedReader(head, fileobj))


def open_text_stream(
    source: str | os.PathLike[str] | IO[bytes], *, limits: StreamLimits | None = None, skip_bytes: int = 0
) -> TextStream:
    """Open a path or binary file object as lines of text, transparently decompressing gzip and zip.

    Zip entries are read in archive order and their lines concatenated (directory entries skipped; a ``.gz`` entry
    inside a zip is decompressed too). Text is decoded as UTF-8 with ``errors="replace"`` and a BOM is dropped.
    Raises :class:`ArchiveLimitExceeded` (size or entry count, checked while streaming),
    :class:`UnsafeArchiveEntry` (absolute or ``..`` entry names) or :class:`ArchiveError` (corrupt input) - the
    errors surface when iteration reaches them, since nothing is read before the first line is requested.
    ``skip_bytes`` leading decompressed bytes are dropped (they still count against the size limit).
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(source, str | os.PathLike):
        return TextStream(open(source, "rb"), limits=limits, owned=True, name=os.fspath(source), skip_bytes=skip_bytes)
    return TextStream(source, limits=limits, owned=False, name=getattr(source, "name", None), skip_bytes=skip_bytes)


def peek_lines(lines: Iterable[str], count: int) -> tuple[list[str], Iterator[str]]:
    """The first ``count`` lines (for :func:`~discovery.parsers.registry.detect_format`) and an iterator that still
    yields every line from the start."""
    iterator = iter(lines)
    head = list(itertools.islice(iterator, count))
    return head, itertools.chain(head, iterator)
