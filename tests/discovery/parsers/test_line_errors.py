"""The byte sequences that once ended a chunk, per format: each line is counted as one malformed line with a storable
sample (or parsed, where the value is valid), never an exception. The triggers: a NUL byte in a malformed line
(PostgreSQL ``jsonb`` rejects ``\\u0000`` in the samples), a bare ``\\r`` in a CSV line (``_csv.Error``), a CLF time
zone ``+9999``, a ``%tu`` millisecond field ``001%``, numbers beyond ``int``/``float``, and over-long lines (a CSV
field past the ``csv`` module's limit; a Squid logformat line whose run of blanks made the regex backtrack for ever)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from discovery.parsers.base import ParseStats, ProxyEvent, parse_lines
from discovery.parsers.registry import PARSERS, get_parser
from discovery.parsers.squid import SQUID_SHADOWAI_FORMAT
from tests.discovery.parsers.helpers import assert_storable_sample, fixture_lines
from tests.discovery.parsers.mutations import CORPORA

SHADOWAI = {"logformat": SQUID_SHADOWAI_FORMAT}
SQUID_COMMON = fixture_lines("squid_common.log")[0]
SQUID_COMBINED = fixture_lines("squid_combined.log")[0]
APACHE = fixture_lines("apache_forward_proxy.log")[0]
LOGFORMAT = fixture_lines("squid_shadowai_logformat.log")[0]
PANOS = fixture_lines("panos_traffic_url.log")[0]
ZSCALER = fixture_lines("zscaler_nss_web.csv")[0]
GENERIC_CSV = fixture_lines("generic.csv")


def _parse(format_name: str, lines: list[str], options: dict[str, Any] | None = None) -> tuple[list[Any], ParseStats]:
    stats = ParseStats()
    events = list(parse_lines(get_parser(format_name, options=options), lines, stats))
    for sample in stats.malformed_samples:
        assert_storable_sample(sample, len(lines))
    return events, stats


def _one_malformed(format_name: str, lines: list[str], options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Parse ``lines`` (a header first where the format needs one) and return the sample of the one malformed line."""
    _, stats = _parse(format_name, lines, options)
    assert stats.records_malformed == 1
    assert stats.records_read == len(lines)
    return stats.malformed_samples[0]


# --- NUL and other unstorable characters in a malformed line, every format ---------------------------------------


@pytest.mark.parametrize("format_name", sorted(PARSERS))
@pytest.mark.parametrize(
    "garbage",
    [
        "\x00\x01\x02 garbage \x00",
        "GET \x00 http://claude.ai/ \x00\x00",
        '{"a": "\\u0000", "b": "\\ud800"} \x00',
        "\udcff\udc80 undecodable bytes kept as surrogates \x00",
    ],
    ids=["nul", "nul-in-words", "json-escapes", "surrogates"],
)
def test_a_garbage_line_with_nul_is_one_malformed_line_with_a_storable_sample(format_name: str, garbage: str) -> None:
    # given a fixture of the format with one garbage line after its headers and first record
    fixture, options = CORPORA[format_name][0]
    lines = fixture_lines(fixture)
    header = next(i for i, line in enumerate(lines) if not line.startswith("#")) + 1
    _, clean = _parse(format_name, lines, dict(options))
    with_garbage = [*lines[:header], garbage, *lines[header:]]
    # when
    _, stats = _parse(format_name, with_garbage, dict(options))
    # then the garbage line is one more malformed line, sampled without NUL or surrogates
    assert stats.records_malformed == clean.records_malformed + 1
    assert stats.records_parsed == clean.records_parsed
    sample = next(s for s in stats.malformed_samples if s["line"] == header + 1)
    assert "\ufffd" in sample["text"]  # where the NUL or surrogate was


# --- a bare \r inside a CSV line ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_name", "lines"),
    [
        ("panos", [PANOS.replace(",corp\\alice,", ",corp\\al\rice,")]),
        ("panos", [PANOS.replace(",tcp,", ",t\rcp,", 1)]),
        ("zscaler", [ZSCALER.replace('"HTTPS",', '"HTTPS"\r,')]),
        ("zscaler", [ZSCALER.replace('"ChatGPT",', "Chat\rGPT,")]),
        ("generic_csv", [GENERIC_CSV[0], GENERIC_CSV[1].replace(",alice,", ",al\rice,")]),
    ],
    ids=["panos-user", "panos-proto", "zscaler-after-quote", "zscaler-unquoted", "generic-csv"],
)
def test_a_bare_carriage_return_in_a_csv_line_is_a_malformed_line(format_name: str, lines: list[str]) -> None:
    sample = _one_malformed(format_name, lines)
    assert "\r" in sample["text"] or "CSV" in sample["error"]


def test_a_carriage_return_inside_quotes_is_read() -> None:
    # given a generic CSV line whose quoted value holds a \r (the csv module reads it)
    lines = [GENERIC_CSV[0], GENERIC_CSV[1].replace(",alice,", ',"al\rice",')]
    # when
    events, stats = _parse("generic_csv", lines)
    # then
    assert stats.records_malformed == 0
    assert [(e.host, e.user) for e in events] == [("chatgpt.com", "al\rice")]


# --- CLF time zones -----------------------------------------------------------------------------------------------

_CLF = [("squid_common", SQUID_COMMON), ("squid_combined", SQUID_COMBINED), ("apache", APACHE)]
_ZONE = {"squid_common": "+0000", "squid_combined": "+0000", "apache": "+0200"}


@pytest.mark.parametrize(("format_name", "line"), _CLF, ids=[name for name, _ in _CLF])
@pytest.mark.parametrize("zone", ["+9999", "-9999", "+2400", "+0060"])
def test_a_clf_time_zone_out_of_range_is_a_malformed_line(format_name: str, line: str, zone: str) -> None:
    sample = _one_malformed(format_name, [line.replace(_ZONE[format_name], zone)])
    assert "time" in sample["error"].lower() or "offset" in sample["error"].lower()


@pytest.mark.parametrize(("format_name", "line"), _CLF, ids=[name for name, _ in _CLF])
@pytest.mark.parametrize(("zone", "hours", "minutes"), [("+2359", 23, 59), ("-2359", -23, -59), ("+0530", 5, 30)])
def test_a_clf_time_zone_within_a_day_is_read(format_name: str, line: str, zone: str, hours: int, minutes: int) -> None:
    # given the line with another valid offset
    events, stats = _parse(format_name, [line.replace(_ZONE[format_name], zone)])
    original, _ = _parse(format_name, [line])
    # then the time moves by the difference of the offsets
    assert stats.records_malformed == 0
    shift = original[0].timestamp - events[0].timestamp
    offset = {"squid_common": 0, "squid_combined": 0, "apache": 2 * 3600}[format_name]
    assert shift.total_seconds() == (hours * 60 + minutes) * 60 - offset


def test_a_clf_time_at_the_edge_of_datetime_is_a_malformed_line() -> None:
    line = SQUID_COMMON.replace("04/Mar/2023:23:15:35 +0000", "01/Jan/0001:00:00:00 +0100")
    _one_malformed("squid_common", [line])


# --- Squid logformat: the millisecond field -----------------------------------------------------------------------


@pytest.mark.parametrize("millis", ["001%", "1%", "1234", "1_0", "0x1"])
def test_a_bad_millisecond_field_is_a_malformed_line(millis: str) -> None:
    line = LOGFORMAT.replace("1714641164.120", f"1714641164.{millis}")
    sample = _one_malformed("squid_logformat", [line], SHADOWAI)
    assert "millisecond" in sample["error"] or "time" in sample["error"]


@pytest.mark.parametrize(("millis", "micro"), [("001", 1000), ("1", 1000), ("12", 12000), ("999", 999000)])
def test_a_millisecond_field_of_up_to_three_digits_is_read(millis: str, micro: int) -> None:
    events, stats = _parse("squid_logformat", [LOGFORMAT.replace("1714641164.120", f"1714641164.{millis}")], SHADOWAI)
    assert stats.records_malformed == 0
    assert events[0].timestamp == datetime(2024, 5, 2, 9, 12, 44, micro, tzinfo=UTC)


# --- numbers beyond int and float ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_name", "lines", "options"),
    [
        ("squid_common", [SQUID_COMMON.replace(" 6120 ", f" {'9' * 5000} ")], None),
        ("squid_combined", [SQUID_COMBINED.replace(" 6120 ", f" {'9' * 400} ")], None),
        ("apache", [APACHE.replace(" 6120 ", f" {'9' * 5000} ")], None),
        ("squid_logformat", [LOGFORMAT.replace(" 5432 ", f" {'9' * 5000} ")], SHADOWAI),
        ("squid", [fixture_lines("plaso_squid_access.log")[2].replace(" 5432 ", f" {'9' * 5000} ")], None),
        ("generic_csv", [GENERIC_CSV[0], GENERIC_CSV[1].replace("48213", "1e400")], None),
        ("zscaler", [ZSCALER.replace('"48213"', f'"{"9" * 5000}"')], None),
        ("panos", [PANOS.replace(",48213,", f",{'9' * 5000},")], None),
    ],
    ids=[
        "common-size",
        "combined-size",
        "apache-size",
        "logformat-size",
        "squid-size",
        "csv-inf",
        "zscaler-size",
        "panos-size",
    ],
)
def test_a_number_beyond_range_is_a_malformed_line(
    format_name: str, lines: list[str], options: dict[str, Any] | None
) -> None:
    _one_malformed(format_name, lines, options)


# --- over-long lines ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_name", "lines"),
    [
        ("generic_csv", [GENERIC_CSV[0], GENERIC_CSV[1].replace(",alice,", f",{'a' * 140_000},")]),
        ("zscaler", [ZSCALER.replace('"Mozilla/5.0 (Windows NT 10.0)"', f'"{"M" * 140_000}"')]),
        ("panos", [PANOS.replace(",corp\\alice,", f",{'a' * 140_000},")]),
    ],
    ids=["generic-csv", "zscaler", "panos"],
)
def test_a_csv_field_past_the_csv_limit_is_a_malformed_line(format_name: str, lines: list[str]) -> None:
    sample = _one_malformed(format_name, lines)
    assert len(sample["text"]) == 500 and len(sample["error"]) <= 500


@pytest.mark.parametrize("format_name", ["squid_common", "squid_combined", "squid_logformat"])
@pytest.mark.parametrize(
    "line",
    ["a" + " " * 5000 + "b", "1.2.3.4" + " -" * 3 + " " * 5000 + "[x", " " * 5000 + "x " * 5000],
    ids=["blank-run", "blank-run-after-fields", "leading-blanks"],
)
def test_a_long_run_of_blanks_is_a_malformed_line_in_linear_time(format_name: str, line: str) -> None:
    # given a Squid logformat line with a long run of blanks (once, the regex tried every way to split the run)
    options = SHADOWAI if format_name == "squid_logformat" else None
    # when
    started = time.perf_counter()
    _one_malformed(format_name, [line], options)
    # then it is rejected at once (the backtracking took minutes for 5000 blanks)
    assert time.perf_counter() - started < 2.0


def test_padded_squid_logformat_fields_are_still_read() -> None:
    # the blanks Squid writes (padding of %6tr, several between fields) still read as before
    line = LOGFORMAT.replace("    567 ", "      567   ")
    events, stats = _parse("squid_logformat", [line], SHADOWAI)
    assert stats.records_malformed == 0
    assert isinstance(events[0], ProxyEvent) and events[0].host == "claude.ai" and events[0].upload_bytes == 48213


# --- lone surrogates on the Squid native fast paths ----------------------------------------------------------------

_NATIVE = "1772409600.000 42 10.0.0.1 TCP_MISS/200 4242 GET http://www.example.org/index.html bob HIER_DIRECT/1.2.3.4 -"


@pytest.mark.parametrize(
    "line",
    [
        _NATIVE.replace("10.0.0.1", "\udc8010.0.0.1"),
        _NATIVE.replace("bob", "b\udcffob"),
        _NATIVE.replace("/index.html", "/index\ud800.html"),
    ],
    ids=["client", "user", "url"],
)
def test_a_lone_surrogate_in_a_squid_native_field_is_malformed_on_every_path(line: str) -> None:
    # given a line decoded with surrogateescape (invalid UTF-8 kept as lone surrogates), among good lines
    lines = [_NATIVE, line, _NATIVE]
    # when it goes line by line, through the record fast path and through the fused scan
    _, regular = _parse("squid", lines)
    fast = ParseStats()
    records = list(get_parser("squid").iter_fast(lines, fast) or [])
    fused = ParseStats()
    blocks = list(get_parser("squid").scan_matched([lines], fused, lambda host, url: 1))
    # then each counts it as one malformed line (check_event refuses the surrogate) and reads the other two
    assert regular.records_malformed == fast.records_malformed == fused.records_malformed == 1
    assert regular == fast == fused
    assert len(records) == sum(len(b.codes) for b in blocks) == 2


def test_a_lone_surrogate_in_an_unchecked_squid_native_field_is_read_on_every_path() -> None:
    # the content type is not stored: parse() reads the line, and so do the fast paths
    lines = [_NATIVE[:-1] + "text/\udc80html"] * 3
    _, regular = _parse("squid", lines)
    fast = ParseStats()
    assert len(list(get_parser("squid").iter_fast(lines, fast) or [])) == 3
    fused = ParseStats()
    list(get_parser("squid").scan_matched([lines], fused, lambda host, url: 1))
    assert regular == fast == fused and regular.records_parsed == 3


@pytest.mark.parametrize(
    ("format_name", "lines", "options"),
    [
        ("squid_common", [SQUID_COMMON.replace("+0000", "+12\u00b3\u00b3")], None),
        ("apache", [APACHE.replace("+0200", "+99")], None),
        ("squid_logformat", [LOGFORMAT.replace("1714641164.120", "1714641164.-01")], SHADOWAI),
        ("squid_logformat", [LOGFORMAT.replace("1714641164.120", "1e400.120")], SHADOWAI),
        ("generic_csv", [GENERIC_CSV[0], GENERIC_CSV[1].replace("48213", "nan")], None),
        ("generic_csv", [GENERIC_CSV[0], GENERIC_CSV[2].replace("1714641165", "9" * 400)], None),
    ],
    ids=["clf-superscript-zone", "clf-short-zone", "negative-millis", "logformat-time", "csv-nan", "csv-epoch"],
)
def test_neighbouring_bad_values_stay_malformed_lines(
    format_name: str, lines: list[str], options: dict[str, Any] | None
) -> None:
    # values next to the triggers above, which were already malformed lines (kept so that they stay so)
    _one_malformed(format_name, lines, options)


@pytest.mark.parametrize(
    "line",
    [_NATIVE.replace(" 42 ", f" {'9' * 5000} "), _NATIVE.replace("/200 ", f"/{'2' * 5000} ")],
    ids=["elapsed", "status"],
)
def test_a_squid_native_number_past_int_is_malformed_on_every_path(line: str) -> None:
    # given a line whose elapsed time or status has more digits than int() converts, among good lines
    lines = [_NATIVE, line, _NATIVE]
    # when / then the record fast path and the fused scan count it as parse() does: one malformed line
    _, regular = _parse("squid", lines)
    fast = ParseStats()
    list(get_parser("squid").iter_fast(lines, fast) or [])
    fused = ParseStats()
    list(get_parser("squid").scan_matched([lines], fused, lambda host, url: 1))
    assert regular.records_malformed == 1
    assert regular == fast == fused


@pytest.mark.parametrize("digits", [6, 4301, 8000])
def test_a_connect_port_of_too_many_digits_is_no_port_and_the_host_still_counts(digits: int) -> None:
    # found by the fused-vector property test: the column scan took the line, the line parser failed on int()

    line = f"1772409637.300 262 - TCP_MISS/200 1931 CONNECT claude.ai:{'9' * digits} - HIER_DIRECT/203.0.113.9 -"
    event = get_parser("squid").parse(line)
    assert event is not None and event.host == "claude.ai" and event.dest_port is None
