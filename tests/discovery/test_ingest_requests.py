"""One request per request: a capture's requests count connections and HTTP requests, as a proxy log's lines do, and
its DNS questions are counted apart (``dns_lookups``)."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from discovery.choices import BatchStatus
from discovery.models import LogBatch, LogSource, UsageRecord
from discovery.pseudonyms import pseudonymise
from discovery.services import log_batch_ingest
from tests.discovery.factories import squid_bytes
from tests.discovery.pcap._build import CLIENT, POST, PROXY, SERVER, T0, Capture, get, hello

DAY = date(2026, 3, 2)


def usage(batch: LogBatch) -> dict[tuple[str, str, date], dict[str, int]]:
    rows: dict[tuple[str, str, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in UsageRecord.objects.filter(batch=batch).select_related("service"):
        counts = rows[(row.subject, row.service.slug, row.day)]
        counts["requests"] += row.requests
        counts["upload_requests"] += row.upload_requests
        counts["dns_lookups"] += row.dns_lookups
    return {key: dict(value) for key, value in rows.items()}


def ingest(source: LogSource, data: bytes, name: str) -> LogBatch:
    outcome = log_batch_ingest(source=source, fileobj=io.BytesIO(data), name=name, synchronous=True)
    assert outcome.batch.status == BatchStatus.DONE
    return outcome.batch


@pytest.mark.parametrize(("tls", "lookups", "http"), [(3, 2, 0), (5, 7, 4), (1, 0, 3)])
def test_a_capture_counts_connections_and_http_requests_and_the_same_squid_log_counts_the_same(
    catalog: None, tmp_path: Path, tls: int, lookups: int, http: int
) -> None:
    # given N TLS connections to chatgpt.com (the last one cut by the end of the capture: no FIN, its flow is
    # finished at the end), M lookups of it, and K HTTP requests (two per keep-alive connection, then a POST)
    capture = Capture()
    for _ in range(lookups):
        capture.dns("chatgpt.com")
    sent = 0
    while sent < http:
        if http - sent >= 2:
            capture.tcp([get("/a"), get("/b")], dport=80)
            sent += 2
        else:
            capture.tcp([POST], dport=80)
            sent += 1
    for index in range(tls):
        capture.tcp([hello("chatgpt.com"), b"\x17\x03\x03\x00\x10" + b"e" * 16], fin=index < tls - 1)
    pcap = capture.write(tmp_path / "tap.pcap")
    # and the same traffic as a Squid log: a CONNECT line per TLS connection, a line per HTTP request
    lines = [
        f"{T0 + i:.3f} 120 {CLIENT} TCP_TUNNEL/200 5000 CONNECT chatgpt.com:443 - HIER_DIRECT/{SERVER} -"
        for i in range(tls)
    ]
    lines += [
        f"{T0 + i:.3f} 50 {CLIENT} TCP_MISS/200 800 GET http://chatgpt.com/a - HIER_DIRECT/{SERVER} text/html"
        for i in range(http)
    ]
    sensor = LogSource.objects.create(name="tap", log_format="")
    proxy = LogSource.objects.create(name="proxy", log_format="squid")
    # when
    from_capture = usage(ingest(sensor, pcap, "tap.pcap"))
    from_log = usage(ingest(proxy, squid_bytes(lines), "access.log"))
    # then
    key = (pseudonymise(f"device:{CLIENT}"), "chatgpt", DAY)
    assert from_capture[key]["requests"] == tls + http
    assert from_capture[key]["dns_lookups"] == lookups
    assert from_log[key]["requests"] == tls + http
    assert from_log[key]["dns_lookups"] == 0
    assert set(from_capture) == set(from_log) == {key}


def test_an_http_connect_tunnel_is_one_request_and_an_unnamed_flow_counts_for_its_address(
    catalog: None, tmp_path: Path
) -> None:
    # given a CONNECT tunnel through a proxy (the request head, then the TLS ClientHello inside it), and a
    # connection without SNI or HTTP request to an address a catalog rule could never name
    capture = Capture()
    connect = b"CONNECT chatgpt.com:443 HTTP/1.1\r\nHost: chatgpt.com:443\r\n\r\n"
    capture.tcp([connect, hello("chatgpt.com")], server=PROXY, dport=3128)
    capture.tcp([b"\x00" * 40])
    sensor = LogSource.objects.create(name="tap", log_format="")
    # when
    batch = ingest(sensor, capture.write(tmp_path / "tunnel.pcap"), "tunnel.pcap")
    # then the tunnel is one request (its CONNECT), its bytes counted once; the unnamed flow is unmatched
    rows = UsageRecord.objects.filter(batch=batch)
    assert [(r.service.slug, r.requests, r.dns_lookups) for r in rows] == [("chatgpt", 1, 0)]
    row = rows.get()
    assert row.bytes_down == 4 * 1200 * 2
    # events are records: HTTP, TLS and the two FLOW records
    assert (batch.records_read, batch.records_matched, batch.records_unmatched) == (4, 3, 1)


def test_reingesting_a_capture_counts_nothing_again(catalog: None, tmp_path: Path) -> None:
    # given
    capture = Capture()
    capture.dns("claude.ai")
    capture.tcp([hello("claude.ai")])
    data = capture.write(tmp_path / "tap.pcap")
    sensor = LogSource.objects.create(name="tap", log_format="")
    batch = ingest(sensor, data, "tap.pcap")
    before = usage(batch)
    # when
    again = log_batch_ingest(source=sensor, fileobj=io.BytesIO(data), name="tap.pcap", synchronous=True)
    # then
    assert again.duplicate is True and again.batch.pk == batch.pk
    assert usage(batch) == before
    assert before == {
        (pseudonymise(f"device:{CLIENT}"), "claude", DAY): {"requests": 1, "upload_requests": 0, "dns_lookups": 1}
    }


def test_usage_rows_written_without_the_column_count_no_lookups(source: LogSource) -> None:
    # given a chunk ingested now, and a usage row written through the model before dns_lookups existed
    batch = ingest(source, squid_bytes(), "access.log")
    current = UsageRecord.objects.filter(batch=batch).first()
    assert current is not None
    executor = MigrationExecutor(connection)
    before = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "discovery"]
    old = executor.loader.project_state([*before, ("discovery", "0016_alerts_notifications_moved_out")]).apps
    old.get_model("discovery", "UsageRecord").objects.create(
        chunk_id=current.chunk_id,
        batch_id=batch.pk,
        service_id=current.service_id,
        subject="legacy",
        subject_kind="device",
        key_version=1,
        day=DAY,
        requests=3,
        first_seen=current.first_seen,
        last_seen=current.last_seen,
        policy_status=current.policy_status,
    )
    # when / then the database fills the column in
    assert UsageRecord.objects.get(subject="legacy").dns_lookups == 0
