"""Services: ingestion (dedupe, chunks, malformed lines, identities), policies, pseudonyms, retention."""

from __future__ import annotations

import base64
import codecs
import hashlib
import hmac
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from core.exceptions import ValidationFailed
from core.models import AuditLogEntry
from discovery import ingest as ingest_module
from discovery.choices import BatchStatus, PolicyStatus, SubjectKind
from discovery.models import AIService, LogBatch, LogChunk, LogSource, PolicyException, Pseudonym, UsageRecord
from discovery.pseudonyms import pseudonymise
from discovery.services import (
    ai_service_policy_update,
    discovery_detail_purge,
    log_batch_confirm,
    log_batch_ingest,
    policy_exception_create,
    pseudonym_reidentify,
)
from tests.discovery.factories import SQUID_LINES, squid_bytes

PCAP = Path(__file__).resolve().parents[1] / "fixtures" / "pcap" / "plaso" / "plaso_test.pcap"


def ingest(source: LogSource, data: bytes, **kwargs: Any) -> Any:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="access.log", synchronous=True, **kwargs)


def usage_of(identity: str) -> dict[tuple[str, date], dict[str, int]]:
    rows: dict[tuple[str, date], dict[str, int]] = {}
    for row in UsageRecord.objects.filter(subject=pseudonymise(identity)).select_related("service"):
        agg = rows.setdefault((row.service.slug, row.day), {"requests": 0, "uploads": 0, "down": 0})
        agg["requests"] += row.requests
        agg["uploads"] += row.upload_requests
        agg["down"] += row.bytes_down
    return rows


def test_ingest_counts_parses_matches_and_aggregates_per_user_service_day(source: LogSource) -> None:
    # when
    outcome = ingest(source, squid_bytes())
    # then
    batch = outcome.batch
    assert outcome.duplicate is False
    assert batch.status == BatchStatus.DONE
    assert (batch.records_read, batch.records_parsed, batch.records_malformed) == (8, 6, 2)
    assert (batch.records_matched, batch.records_unmatched) == (5, 1)
    assert batch.sha256 == hashlib.sha256(squid_bytes()).hexdigest()
    assert batch.first_seen == datetime.fromtimestamp(1772445600, UTC)
    assert batch.last_seen == datetime.fromtimestamp(1772532300 - 60, UTC)
    day1, day2 = date(2026, 3, 2), date(2026, 3, 3)
    assert usage_of("user:jdoe") == {
        ("chatgpt", day1): {"requests": 1, "uploads": 0, "down": 5000},
        ("deepseek", day1): {"requests": 1, "uploads": 1, "down": 2500},
        ("chatgpt", day2): {"requests": 1, "uploads": 0, "down": 700},
    }
    assert usage_of("user:kchen") == {("claude", day1): {"requests": 1, "uploads": 0, "down": 1200}}
    assert not UsageRecord.objects.filter(service__slug="wikipedia").exists()


def test_reingesting_the_same_file_is_a_noop_that_returns_the_existing_batch(source: LogSource) -> None:
    # given
    first = ingest(source, squid_bytes())
    usage = UsageRecord.objects.count()
    # when
    second = ingest(source, squid_bytes())
    # then
    assert second.duplicate is True
    assert second.batch.pk == first.batch.pk
    assert LogBatch.objects.count() == 1
    assert UsageRecord.objects.count() == usage


def test_malformed_lines_are_counted_and_sampled_with_their_line_numbers_across_chunks(
    source: LogSource, small_chunks: None
) -> None:
    # when
    batch = ingest(source, squid_bytes()).batch
    # then
    assert batch.chunks_total > 2
    assert batch.progress == f"{batch.chunks_total}/{batch.chunks_total}"
    assert batch.records_malformed == 2
    # (stored redacted: the Squid client and user columns by position, addresses by pattern)
    assert [(s["line"], s["text"]) for s in batch.malformed_samples] == [
        (4, "this is <redacted> a squid line"),
        (8, "1772532300.000 EIGHT <redacted> broken"),
    ]


def test_chunked_ingest_gives_the_same_results_as_one_chunk(catalog: None, settings: Any) -> None:
    # given
    one = LogSource.objects.create(name="one", log_format="squid")
    many = LogSource.objects.create(name="many", log_format="squid")
    data = squid_bytes(SQUID_LINES * 30)
    # when
    a = ingest(one, data).batch
    settings.DISCOVERY_CHUNK_BYTES = 500
    held = ingest(many, data).batch  # the same content under a second source: counted once confirmed
    b = log_batch_confirm(batch=held, actor=None, reason="compare chunkings", synchronous=True)

    # then
    def totals(batch: LogBatch) -> dict[tuple[str, int, date], int]:
        out: dict[tuple[str, int, date], int] = {}
        for r in UsageRecord.objects.filter(batch=batch):
            key = (r.subject, r.service_id, r.day)
            out[key] = out.get(key, 0) + r.requests
        return out

    assert a.chunks_total == 1 and b.chunks_total > 10
    assert (a.records_read, a.records_matched, a.records_malformed) == (b.records_read, b.records_matched, 60)
    assert totals(a) == totals(b)


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 500])
def test_a_byte_order_mark_is_dropped_in_one_chunk_and_in_many(catalog: None, settings: Any, chunk_bytes: int) -> None:
    # given a log saved by a Windows tool: UTF-8 with a BOM before the first (valid) line
    source = LogSource.objects.create(name="bom", log_format="squid")
    valid = [line for line in SQUID_LINES if " EIGHT " not in line and not line.startswith("this")]
    settings.DISCOVERY_CHUNK_BYTES = chunk_bytes
    # when
    batch = ingest(source, b"\xef\xbb\xbf" + squid_bytes(valid * 30)).batch
    # then the first line is read like every other
    assert (chunk_bytes == 500) == (batch.chunks_total > 1)
    assert (batch.records_read, batch.records_malformed, batch.records_parsed) == (len(valid) * 30, 0, len(valid) * 30)


def test_a_w3c_log_with_a_byte_order_mark_keeps_its_fields_header_in_later_chunks(catalog: None, settings: Any) -> None:
    # given a Blue Coat ELFF export with a BOM before its #Software/#Fields header, cut into many chunks
    data = (Path(__file__).parents[1] / "fixtures" / "logs" / "bluecoat_elff.log").read_bytes()
    header = data.partition(b"\n#Remark")[0]
    records = [line for line in header.splitlines() if not line.startswith(b"#")]
    whole = header + b"\n" + b"\n".join(records * 20) + b"\n"
    one = ingest(LogSource.objects.create(name="one", log_format="w3c"), whole).batch
    settings.DISCOVERY_CHUNK_BYTES = 400
    # when
    many = ingest(LogSource.objects.create(name="many", log_format="w3c"), codecs.BOM_UTF8 + whole).batch
    # then every chunk parses with the header's fields, as the single-chunk run of the file without a BOM does
    assert many.chunks_total > 3
    assert (many.records_parsed, many.records_malformed, many.records_matched) == (
        one.records_parsed,
        one.records_malformed,
        one.records_matched,
    )
    assert many.records_parsed > 20 and many.records_malformed == 0


def test_identity_mapping_strips_domains_lowercases_and_maps_ips_to_users(source: LogSource) -> None:
    # when
    ingest(source, squid_bytes())
    # then
    kinds = dict(UsageRecord.objects.values_list("subject", "subject_kind"))
    assert kinds[pseudonymise("user:jdoe")] == SubjectKind.USER
    assert kinds[pseudonymise("user:kchen")] == SubjectKind.USER  # "-" user on 10.0.0.7, mapped by IP
    departments = dict(UsageRecord.objects.values_list("subject", "department"))
    assert departments[pseudonymise("user:jdoe")] == "Engineering"
    assert departments[pseudonymise("user:kchen")] == "Legal"


def test_unmapped_anonymous_traffic_is_attributed_to_the_device(catalog: None) -> None:
    # given
    bare = LogSource.objects.create(name="bare", log_format="squid")
    # when
    ingest(bare, squid_bytes([SQUID_LINES[4]]))
    # then
    row = UsageRecord.objects.get()
    assert row.subject == pseudonymise("device:10.0.0.7")
    assert row.subject_kind == SubjectKind.DEVICE


def test_pseudonyms_are_keyed_hmacs_and_no_identity_is_stored_in_clear(source: LogSource, settings: Any) -> None:
    # given
    secret = b"k-test-secret-of-version-3-0123456789"
    other = base64.b64encode(b"k" * 32).decode()
    settings.DISCOVERY_PSEUDONYM_KEYS = f"1:{other},3:{base64.b64encode(secret).decode()}"
    settings.DISCOVERY_PSEUDONYM_KEY_VERSION = 3
    # when
    ingest(source, squid_bytes())
    # then
    key = hmac.new(secret, b"pseudonym-v3", hashlib.sha256).digest()
    expected = hmac.new(key, b"user:jdoe", hashlib.sha256).hexdigest()
    row = UsageRecord.objects.filter(subject=expected).first()
    assert row is not None and row.key_version == 3
    stored = Pseudonym.objects.get(pseudonym=expected)
    assert b"jdoe" not in bytes(stored.identity_encrypted)
    assert stored.key_version == 3


def test_reidentification_needs_the_permission_and_writes_an_audit_row(
    source: LogSource, sam: Any, audrey: Any
) -> None:
    # given
    ingest(source, squid_bytes())
    pseudonym = pseudonymise("user:jdoe")
    # when
    identity = pseudonym_reidentify(pseudonym=pseudonym, actor=sam, reason="incident 42")
    # then
    assert identity == "user:jdoe"
    entry = AuditLogEntry.objects.get(event_type="discovery.pseudonym.reidentified")
    assert entry.acting_user == sam
    assert entry.reason == "incident 42"
    assert entry.extra_data["pseudonym"] == pseudonym
    with pytest.raises(PermissionDenied):
        pseudonym_reidentify(pseudonym=pseudonym, actor=audrey, reason="curious")
    with pytest.raises(ValidationFailed):
        pseudonym_reidentify(pseudonym=pseudonym, actor=sam, reason=" ")
    assert AuditLogEntry.objects.filter(event_type="discovery.pseudonym.reidentified").count() == 1


def test_department_exception_overrides_the_service_policy_at_ingestion(source: LogSource, sam: Any) -> None:
    # given
    claude = AIService.objects.get(slug="claude")
    ai_service_policy_update(service=claude, policy=PolicyStatus.SANCTIONED, actor=sam, reason="licence")
    policy_exception_create(
        actor=sam, data={"service": claude, "department": "Legal", "policy": PolicyStatus.UNSANCTIONED}
    )
    policy_exception_create(actor=sam, data={"service": claude, "group": "ai-pilot", "policy": PolicyStatus.TOLERATED})
    # when
    ingest(source, squid_bytes())
    # then
    status = dict(UsageRecord.objects.filter(service=claude).values_list("department", "policy_status"))
    assert status == {"Legal": PolicyStatus.UNSANCTIONED, "Finance": PolicyStatus.TOLERATED}
    assert UsageRecord.objects.get(service__slug="deepseek").policy_status == PolicyStatus.UNSANCTIONED  # default


def test_policy_update_is_validated_and_audited(catalog: None, sam: Any) -> None:
    # given
    service = AIService.objects.get(slug="chatgpt")
    # when
    ai_service_policy_update(service=service, policy=PolicyStatus.TOLERATED, actor=sam, reason="review")
    # then
    service.refresh_from_db()
    assert service.policy == PolicyStatus.TOLERATED
    assert service.history.first().history_user == sam
    entry = AuditLogEntry.objects.get(event_type="discovery.ai_service.policy_changed")
    assert entry.extra_data == {"before": "unsanctioned", "after": "tolerated"}
    with pytest.raises(ValidationFailed):
        ai_service_policy_update(service=service, policy="banned", actor=sam)


def test_upload_larger_than_the_cap_is_refused(source: LogSource, settings: Any) -> None:
    # given
    settings.DISCOVERY_UPLOAD_MAX_BYTES = 100
    # when / then
    with pytest.raises(ValidationFailed, match="limit"):
        ingest(source, squid_bytes())
    assert not LogBatch.objects.exists()


def test_format_is_detected_when_the_source_has_none(catalog: None) -> None:
    # given
    auto = LogSource.objects.create(name="auto", log_format="")
    # when
    batch = ingest(auto, squid_bytes()).batch
    # then
    assert batch.log_format == "squid"
    assert batch.records_matched == 5


def test_undetectable_input_is_a_validation_error(catalog: None) -> None:
    # given
    auto = LogSource.objects.create(name="auto", log_format="")
    # when / then
    with pytest.raises(ValidationFailed, match="detect"):
        ingest(auto, b"hello world\nnothing here\n")


def test_a_capture_counts_one_record_per_extracted_event(catalog: None) -> None:
    # given
    sensor = LogSource.objects.create(name="tap", log_format="")
    # when
    batch = ingest(sensor, PCAP.read_bytes()).batch
    # then
    assert batch.log_format == "pcap" and batch.is_capture
    assert batch.records_read == batch.records_parsed == batch.records_matched + batch.records_unmatched > 0
    assert batch.status == BatchStatus.DONE


def test_retention_purge_removes_old_detail_in_batches_until_drained(source: LogSource, settings: Any) -> None:
    # given
    settings.DISCOVERY_RETENTION_DAYS = 30
    batch = ingest(source, squid_bytes()).batch
    assert batch.file
    LogBatch.objects.filter(pk=batch.pk).update(created_at=datetime(2026, 3, 4, tzinfo=UTC))
    later = datetime(2026, 3, 3, tzinfo=UTC) + timedelta(days=30)  # cutoff 03-03: day 03-02 goes, 03-03 stays
    old_rows = UsageRecord.objects.filter(day=date(2026, 3, 2)).count()
    kept = UsageRecord.objects.filter(day=date(2026, 3, 3)).count()
    # when
    rounds = [discovery_detail_purge(now=later, batch_size=1) for _ in range(old_rows)]
    # then
    assert old_rows == 3
    assert rounds == [True, True, False]
    assert UsageRecord.objects.count() == kept
    batch.refresh_from_db()
    assert batch.purged_at is None  # created within the retention period
    # and when the batch itself is old enough
    assert discovery_detail_purge(now=later + timedelta(days=5)) is False
    batch.refresh_from_db()
    assert batch.purged_at is not None and not batch.file and batch.malformed_samples == []
    assert batch.records_read == 8  # counts are kept
    assert not LogChunk.objects.filter(batch=batch).exclude(malformed_samples=[]).exists()
    assert AuditLogEntry.objects.filter(event_type="discovery.retention.purged").exists()


def test_policy_exception_needs_exactly_one_scope(catalog: None, sam: Any) -> None:
    # given
    service = AIService.objects.get(slug="claude")
    # when / then
    with pytest.raises(Exception, match="exactly one"):
        policy_exception_create(actor=sam, data={"service": service, "policy": "tolerated"})
    assert not PolicyException.objects.exists()


def test_synchronous_ingest_parses_on_helper_threads_and_commits_each_chunk_once(
    catalog: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a file of many chunks, and a record of where parses run, how many run at once, and what commits
    import threading

    from discovery import services

    settings.DISCOVERY_CHUNK_BYTES = 500
    parsed_on: list[str] = []
    in_flight, most_in_flight, lock = 0, 0, threading.Lock()
    committed: list[int] = []
    run_chunk, commit = ingest_module.run_chunk, services._log_chunk_commit

    def recording_run_chunk(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        parsed_on.append(threading.current_thread().name)
        try:
            return run_chunk(*args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    def recording_commit(*, chunk_id: int, parsed: Any) -> bool:
        assert threading.current_thread() is threading.main_thread()
        committed.append(chunk_id)
        return commit(chunk_id=chunk_id, parsed=parsed)

    monkeypatch.setattr(ingest_module, "run_chunk", recording_run_chunk)
    monkeypatch.setattr(services, "_log_chunk_commit", recording_commit)
    # when
    batch = ingest(LogSource.objects.create(name="threads", log_format="squid"), squid_bytes(SQUID_LINES * 30)).batch
    # then (a parse touching the database from a helper thread would not see this test's uncommitted rows)
    assert batch.chunks_total > 10 and batch.chunks_done == batch.chunks_total
    assert len(parsed_on) == batch.chunks_total
    assert all(name.startswith("ingest-parse") for name in parsed_on)
    assert 1 <= most_in_flight <= services.PARSE_THREADS
    assert sorted(committed) == list(batch.chunks.order_by("id").values_list("id", flat=True))
    assert batch.records_malformed == 60
