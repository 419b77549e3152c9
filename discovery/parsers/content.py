"""What a file looks like before its source's configured format is trusted: a capture, an archive or a binary file
given to a text format, and a text file that the format cannot read (most lines malformed).

Plain Python, no Django: the upload service (:func:`discovery.services.log_batch_ingest`) and the worker (for a
compressed file, once decompressed) ask :func:`describe_binary` and :func:`probe_lines` and refuse the batch with
the answer, so a PDF or a capture uploaded to a Squid source is no longer a "done" batch of malformed lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from discovery.parsers.base import LogParser, ParseStats, parse_lines

#: how much of a file's start is looked at for control bytes
SNIFF_BYTES = 64 * 1024
#: share of characters that are not text (control characters other than tab, CR, LF, FF, ESC; invalid UTF-8) above
#: which a file is binary
BINARY_SHARE = 0.30

#: (offset, magic, what the file looks like); gzip and zip are not here: they are containers the service reads
_MAGICS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "a PDF document"),
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"\x7fELF", "an ELF executable"),
    (0, b"MZ", "a Windows executable"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive"),
    (0, b"BZh", "a bzip2 archive"),
    (0, b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document (OLE2)"),
    (257, b"ustar", "a tar archive"),
    (4, b"ftyp", "an MP4/QuickTime video"),
)
#: control characters that do not occur in text (tab, LF, FF, CR and ESC, for terminal colours, do)
_CONTROLS = frozenset(chr(code) for code in [*range(0x20), 0x7F]) - set("\t\n\x0c\r\x1b")


def describe_binary(head: bytes) -> str | None:
    """What ``head`` (a file's first bytes, decompressed) looks like when it is not a text log, else None.

    Known file signatures first (``a PDF document``, ``a tar archive``...), then UTF-16 (a byte-order mark), then
    the share of the first :data:`SNIFF_BYTES` that is not text: control bytes and bytes that are not valid UTF-8.
    Above :data:`BINARY_SHARE` it is binary data (random or compressed bytes are about two thirds non-text). A log
    with some garbage lines (NUL bytes, stray escapes, Latin-1 names) stays text: its bad lines are counted
    malformed, as ever.
    """
    for offset, magic, what in _MAGICS:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"MZ" and b"This program cannot be run in DOS mode" not in head[:512]:
                continue  # "MZ" alone also starts ordinary text
            if magic == b"BZh" and not head[3:4].isdigit():
                continue
            return what
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text (convert it to UTF-8)"
    text = head[:SNIFF_BYTES].decode("utf-8", "replace")
    if not text:
        return None
    bad = text.count("\ufffd") + sum(1 for char in text if char in _CONTROLS)
    if bad / len(text) > BINARY_SHARE:
        return f"binary data ({bad / len(text):.0%} of the first {len(text):,} characters are not text)"
    return None


class ContentRefused(ValueError):
    """The file is not what its source's format says (binary, or mostly malformed): refused, nothing counted."""


@dataclass(slots=True)
class Probe:
    """How the first lines of a file read with a parser: lines read, records parsed, malformed lines and their
    first samples (line numbers from 1)."""

    lines: int = 0
    parsed: int = 0
    malformed: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def share(self) -> float:
        """The malformed share of the lines that hold a record (parsed or malformed; blanks and comments aside)."""
        considered = self.parsed + self.malformed
        return self.malformed / considered if considered else 0.0

    def exceeds(self, max_share: float) -> bool:
        """True when more than ``max_share`` of the probed records are malformed (``max_share >= 1`` never)."""
        return max_share < 1 and self.malformed > 0 and self.share > max_share


def probe_lines(parser: LogParser, lines: Iterable[str], *, limit: int) -> Probe:
    """Parse at most ``limit`` lines with ``parser`` exactly as ingestion does (its record fast path when it has
    one, which counts as :func:`parse_lines` does, else :func:`parse_lines`), and count."""
    stats = ParseStats()
    head = list(_first(lines, limit))
    records = parser.iter_fast(head, stats)
    for _ in records if records is not None else parse_lines(parser, head, stats):
        pass
    return Probe(
        lines=stats.records_read,
        parsed=stats.records_parsed,
        malformed=stats.records_malformed,
        samples=list(stats.malformed_samples),
    )


def _first(lines: Iterable[str], limit: int) -> Iterable[str]:
    for count, line in enumerate(lines):
        if count >= limit:
            return
        yield line


def refusal_text(probe: Probe, *, log_format: str, max_share: float, samples: int = 3) -> str:
    """The error a refused batch carries: the counts, the threshold, a few samples, and what to do."""
    shown = "; ".join(f"line {s['line']}: {s.get('error', '')}" for s in probe.samples[:samples])
    return (
        f"{probe.malformed:,} of the first {probe.parsed + probe.malformed:,} records do not read as {log_format} "
        f"({probe.share:.0%}, above the {max_share:.0%} threshold, DISCOVERY_MALFORMED_MAX_SHARE); nothing was "
        f"counted. Is the source's log format right? First errors: {shown}"
    )
