from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from discovery.parsers.base import MalformedLine
from discovery.parsers.normalise import (
    build_url,
    from_epoch,
    host_from_url,
    none_if_empty,
    normalise_host,
    parse_clf_time,
    parse_iso,
    parse_strftime,
    parse_tz_offset,
    to_int,
    unescape_percent,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ChatGPT.com.", "chatgpt.com"),
        ("chatgpt.com:443", "chatgpt.com"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("user@Claude.AI", "claude.ai"),
        ("  -  ", None),
        ("-", None),
        ("", None),
        (".", None),
        (None, None),
    ],
)
def test_normalise_host_lowercases_and_strips_port_and_trailing_dot(raw: str | None, expected: str | None) -> None:
    # given / when
    result = normalise_host(raw)
    # then
    assert result == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://Example.com/index.html", "example.com"),
        ("HTTP://bro.org/", "bro.org"),
        ("https://chatgpt.com:8443/c?x=1#f", "chatgpt.com"),
        ("chatgpt.com:443", "chatgpt.com"),
        ("consent.cmp.oath.com/", "consent.cmp.oath.com"),
        ("http://[2001:db8::1]:8080/x", "2001:db8::1"),
        ("/relative/path", None),
        ("error:invalid-request", None),
        ("-", None),
        ("  ", None),
        (None, None),
    ],
)
def test_host_from_url_reads_absolute_connect_and_schemeless_targets(url: str | None, expected: str | None) -> None:
    # given / when
    result = host_from_url(url)
    # then
    assert result == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), ("-", None), (None, None), (7, 7), (3.9, 3), ("12.0", 12), ("(empty)", None)],
)
def test_to_int_reads_counts_and_empty_markers(value: str | int | float | None, expected: int | None) -> None:
    # given / when / then
    assert to_int(value) == expected


@pytest.mark.parametrize("value", ["abc", True])
def test_to_int_rejects_non_numbers(value: object) -> None:
    # given / when / then
    with pytest.raises(MalformedLine):
        to_int(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1677971735.123", datetime(2023, 3, 4, 23, 15, 35, 123000, tzinfo=UTC)),
        ("1557513467369913239", datetime(2019, 5, 10, 18, 37, 47, 369913, tzinfo=UTC)),
        (1557513467369913, datetime(2019, 5, 10, 18, 37, 47, 369913, tzinfo=UTC)),
        (1557513467369, datetime(2019, 5, 10, 18, 37, 47, 369000, tzinfo=UTC)),
    ],
)
def test_from_epoch_recognises_seconds_ms_us_and_ns(value: str | int, expected: datetime) -> None:
    # given / when / then
    assert from_epoch(value) == expected


@pytest.mark.parametrize("value", ["soon", "1e400"])
def test_from_epoch_rejects_garbage(value: str) -> None:
    # given / when / then
    with pytest.raises(MalformedLine):
        from_epoch(value)


def test_time_helpers_convert_to_utc_and_reject_bad_input() -> None:
    # given
    cet = timezone(timedelta(hours=1))
    # when / then
    assert parse_tz_offset("-08:00") == timezone(timedelta(hours=-8))
    assert parse_tz_offset("Z") == UTC
    assert parse_clf_time("[13/Jan/2016:19:31:20 +0200]") == datetime(2016, 1, 13, 17, 31, 20, tzinfo=UTC)
    assert parse_clf_time("13/Jan/2016:19:31:20.5", cet) == datetime(2016, 1, 13, 18, 31, 20, 500000, tzinfo=UTC)
    assert parse_iso("2021-04-01 00:00:21", cet) == datetime(2021, 3, 31, 23, 0, 21, tzinfo=UTC)
    assert parse_strftime("02.05.2024 10:00", "%d.%m.%Y %H:%M", cet) == datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    for bad in (
        lambda: parse_tz_offset("+1"),
        lambda: parse_clf_time("yesterday"),
        lambda: parse_clf_time("13/Foo/2016:19:31:20 +0000"),
        lambda: parse_clf_time("32/Jan/2016:19:31:20 +0000"),
        lambda: parse_iso("nope"),
        lambda: parse_strftime("x", "%Y"),
    ):
        with pytest.raises(MalformedLine):
            bad()


def test_small_helpers_build_urls_and_unescape() -> None:
    # given / when / then
    assert none_if_empty("N/A") is None and none_if_empty("x") == "x"
    assert unescape_percent("a%20b") == "a b" and unescape_percent("plain") == "plain"
    assert build_url(None, "h.example", 443, "/p", "?q=1") == "https://h.example/p?q=1"
    assert build_url("HTTP", "h.example", 8080, None, "a=b") == "http://h.example:8080/?a=b"
    assert build_url("http", "::1", 444, "/x", None) == "http://[::1]:444/x"
