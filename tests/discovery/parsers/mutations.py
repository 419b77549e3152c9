"""Random mutations of log lines for the property tests (no Django): byte flips, odd characters (NUL, a bare ``\\r``,
escape sequences, invalid UTF-8, JSON-escaped surrogates), truncations, duplicated and replaced fields, huge and
malformed numbers (``+9999`` offsets, ``001%`` milliseconds), JSON values of the wrong type, over-long lines.

Every registered parser has a corpus here (:data:`CORPORA`): its fixture files and options. A parser added to the
registry without one fails ``test_every_registered_parser_has_a_fuzz_corpus``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from discovery.parsers.squid import SQUID_SHADOWAI_FORMAT
from tests.discovery.parsers.helpers import FIXTURES

#: format name -> (fixture file, parser options) pairs whose lines are mutated
CORPORA: dict[str, list[tuple[str, Mapping[str, Any]]]] = {
    "squid": [("plaso_squid_access.log", {})],
    "squid_common": [("squid_common.log", {})],
    "squid_combined": [("squid_combined.log", {})],
    "squid_logformat": [("squid_shadowai_logformat.log", {"logformat": SQUID_SHADOWAI_FORMAT})],
    "zscaler": [("zscaler_nss_web.csv", {}), ("zscaler_nss_web.jsonl", {})],
    "w3c": [("plaso_iis_iis10.log", {}), ("plaso_iis_iis10_edge_cases.log", {}), ("plaso_iis_iis6.log", {})],
    "bluecoat": [("bluecoat_elff.log", {})],
    "panos": [("panos_traffic_url.log", {})],
    "fortigate": [("fortigate_kv.log", {})],
    "zeek": [
        ("zeek_opt.basic_dns.log", {}),
        ("zeek_scripts.base.protocols.http.http-connect-with-header_http.log", {}),
        ("zeek_scripts.base.protocols.ssl.tls13-encrypted-client-hello_ssl.log", {}),
        ("zeek_scripts.policy.protocols.conn.speculative-service_conn-post-large.log", {}),
        ("zeek_javascript.http-uri-sha256_http.log", {}),
        ("zeek_scripts.base.protocols.quic.chromium_quic.log", {}),
    ],
    "suricata": [("suricata_eve.json", {})],
    "apache": [("apache_forward_proxy.log", {}), ("plaso_apache_access.log", {})],
    "generic_csv": [("generic.csv", {})],
    "generic_jsonl": [
        (
            "generic.jsonl",
            {
                "mapping": {
                    "timestamp": "@timestamp",
                    "user": "source.user",
                    "src_ip": "source.ip",
                    "host": "destination.domain",
                    "url": "url.full",
                    "upload_bytes": "network.bytes_out",
                }
            },
        )
    ],
}

#: Zeek's test baselines mask their times; real ones let the mutations reach the time checks
_ZEEK_MASKS = ((b"XXXXXXXXXX.XXXXXX", b"1714641164.123456"), (b"XXXX-XX-XX-XX-XX-XX", b"2024-05-02-09-12-44"))


def corpus_lines(fixture: str) -> list[bytes]:
    """The lines of a fixture file as bytes (Zeek's masked times made real)."""
    data = (FIXTURES / fixture).read_bytes()
    for mask, real in _ZEEK_MASKS:
        data = data.replace(mask, real)
    return data.rstrip(b"\n").split(b"\n")


#: odd characters and fragments inserted anywhere
SPECIALS: list[bytes] = [
    b"\x00",
    b"\x00\x00\x00",
    b"\r",
    b"\r\r",
    b"\x1b",
    b"\x1b[31m",
    b"\xff",
    b"\xfe\xff",
    b"\xc3",  # a lead byte without its continuation
    b"\x80",
    b"\xed\xa0\x80",  # a surrogate encoded in UTF-8 (invalid)
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF (invalid)
    b"\\ud800",
    b"\\udfff",
    b"\\u0000",
    b"\\x00",
    b'"',
    b"'",
    b",",
    b";",
    b"\t",
    b" ",
    b"\x0b",
    b"\x0c",
    b"\x1c",
    b"\x7f",
    "\u0085".encode(),
    "\u2028".encode(),
    "\u00a0".encode(),
    "\u0663".encode(),  # an Arabic-Indic digit: str.isdigit, and int() reads it
    "\u00b2".encode(),  # a superscript: str.isdigit, but int() does not read it
    "\ufeff".encode(),
    "\ufffd".encode(),
    b"{",
    b"}",
    b"[",
    b"]",
    b"=",
    b"\\",
    b"%",
    b"%zz",
    b"#",
    b"-",
    b"/",
    b":",
    b"@",
]

#: what a number (any run of digits) is replaced by
NUMBERS: list[bytes] = [
    b"+9999",
    b"-9999",
    b"+2400",
    b"+0099",
    b"001%",
    b"1%",
    b"-1",
    b"-0",
    b"0",
    b"00",
    b"9" * 20,
    b"9" * 400,
    b"1" + b"0" * 16,
    b"1" + b"0" * 19,
    b"99999999999999999999.999",
    b"1e400",
    b"-1e400",
    b"1e308",
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"0x1f",
    b"1_000",
    "\u0663\u0663".encode(),
    "1\u00b2".encode(),
    b"1.5",
    b"253402300800",
    b"-62135596801",
    b"99999",
    b"32",
    b"13",
    b"0000",
    b"",
]

#: what a JSON value is replaced by
JSON_VALUES: list[bytes] = [
    b"null",
    b"true",
    b"false",
    b"[]",
    b"{}",
    b'{"a":1}',
    b"[1,2]",
    b"1e999",
    b"-1e999",
    b"-1",
    b"0.5",
    b"99999999999999999999999",
    b'"\\ud800"',
    b'"\\udc00x"',
    b'"\\u0000"',
    b'"x\\u0000y"',
    b'""',
    b'"-"',
    b'"9999-99-99T99:99:99"',
    b'"0001-01-01T00:00:00+01:00"',
    b'"9999-12-31T23:59:59-01:00"',
    b"[" * 3000 + b"]" * 3000,  # nesting deeper than the json module's recursion limit allows
]

_NUMBER_RE = re.compile(rb"\d+")
_JSON_VALUE_RE = re.compile(rb'(?<=:)\s*(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null)')
_SEPARATORS = [b" ", b",", b"\t", b"=", b'"', b":"]

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _pos(draw: Draw, line: bytes) -> int:
    return draw(st.integers(0, len(line)))


def _nth(draw: Draw, matches: Sequence[re.Match[bytes]]) -> re.Match[bytes] | None:
    return matches[draw(st.integers(0, len(matches) - 1))] if matches else None


def mutate_line(draw: Draw, line: bytes) -> bytes:
    """One random mutation of ``line`` (which may gain newlines: a mutation can also split a line)."""
    op = draw(
        st.sampled_from(
            ["flip", "insert", "truncate", "delete", "dup_field", "field", "number", "json", "long", "bytes"]
        )
    )
    if op == "flip" and line:
        at = draw(st.integers(0, len(line) - 1))
        return line[:at] + bytes([line[at] ^ (1 << draw(st.integers(0, 7)))]) + line[at + 1 :]
    if op == "insert":
        at = _pos(draw, line)
        return line[:at] + draw(st.sampled_from(SPECIALS + NUMBERS)) + line[at:]
    if op == "truncate":
        return line[: _pos(draw, line)]
    if op == "delete":
        at = _pos(draw, line)
        return line[:at] + line[at + draw(st.integers(1, 40)) :]
    if op in ("dup_field", "field"):
        sep = draw(st.sampled_from(_SEPARATORS))
        fields = line.split(sep)
        at = draw(st.integers(0, len(fields) - 1))
        if op == "dup_field":
            fields.insert(at, fields[at])
        else:
            fields[at] = draw(st.sampled_from(NUMBERS + SPECIALS))
        return sep.join(fields)
    if op == "number":
        found = _nth(draw, list(_NUMBER_RE.finditer(line)))
        if found is not None:
            return line[: found.start()] + draw(st.sampled_from(NUMBERS)) + line[found.end() :]
    if op == "json":
        found = _nth(draw, list(_JSON_VALUE_RE.finditer(line)))
        if found is not None:
            return line[: found.start()] + draw(st.sampled_from(JSON_VALUES)) + line[found.end() :]
    if op == "long":
        # past the csv module's field limit (131072) at the high end; a long run of one byte or of the line itself
        at = _pos(draw, line)
        size = draw(st.sampled_from([600, 5000, 140_000]))
        filler = draw(st.sampled_from([b"A", b"9", b" ", b",", b"\x00", line[:20] or b"x"]))
        return line[:at] + (filler * (size // len(filler) + 1))[:size] + line[at:]
    if op == "bytes":
        at = _pos(draw, line)
        return line[:at] + draw(st.binary(max_size=30)) + line[at:]
    return line + draw(st.sampled_from(SPECIALS))  # an op that found nothing to work on


@st.composite
def mutated_file(draw: Draw, lines: Sequence[bytes], max_mutations: int = 8) -> bytes:
    """``lines`` joined by newlines after a few random mutations: of lines (any, headers included), and of the file
    (a line dropped, duplicated, blank or of random bytes)."""
    out = list(lines)
    for _ in range(draw(st.integers(1, max_mutations))):
        if not out:
            out.append(b"")
        at = draw(st.integers(0, len(out) - 1))
        kind = draw(st.sampled_from(["line", "line", "line", "drop", "dup", "blank", "random"]))
        if kind == "line":
            out[at] = mutate_line(draw, out[at])
        elif kind == "drop":
            del out[at]
        elif kind == "dup":
            out.insert(at, out[at])
        elif kind == "blank":
            out.insert(at, draw(st.sampled_from([b"", b"\r", b" ", b"\t"])))
        else:
            out.insert(at, draw(st.binary(max_size=120)))
    return b"\n".join(out)
