"""Pseudonym key ring and rotation (issue 18): each key version its own secret, the start-up check refusing a key
derived from SECRET_KEY, re-identification across versions, first-use and baseline rules across a rotation, and
the re-pseudonymisation task (idempotent under redelivery)."""

from __future__ import annotations

import base64
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from alerts.choices import AlertRuleKind
from alerts.models import Alert, Silence
from alerts.rules import fingerprint
from alerts.services import alert_rules_evaluate
from core.models import AuditLogEntry
from discovery.checks import pseudonym_key_check, require_pseudonym_key
from discovery.choices import RotationStatus, SubjectKind
from discovery.models import LogChunk, LogSource, Pseudonym, PseudonymRotation, UsageRecord
from discovery.pseudonyms import (
    PseudonymKeyMissing,
    derived_secret,
    encrypt_identity,
    key_ring,
    key_ring_parse,
    pseudonymise,
    seal_json,
    unseal_json,
)
from discovery.services import (
    discovery_detail_purge,
    log_batch_ingest,
    pseudonym_reidentify,
    pseudonym_rotation_start,
    pseudonym_rotation_step,
)
from discovery.tasks import rotate_pseudonyms_task
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.discovery.factories import squid_bytes

S1 = base64.b64encode(b"version-one-secret-0123456789abcdef").decode()
S2 = base64.urlsafe_b64encode(b"version-two-secret-fedcba9876543210!").decode().rstrip("=")
DAY = 86400
#: a week after the fixture file's days (2026-03-02/03): jdoe again on chatgpt, and a user never seen before
LATER = 1772445600 + 8 * DAY
LATER_LINES = [
    f"{LATER}.000 120 10.0.0.5 TCP_TUNNEL/200 5000 CONNECT chatgpt.com:443 CORP\\JDoe HIER_DIRECT/1.2.3.4 -",
    f"{LATER + 60}.000 90 10.0.0.9 TCP_TUNNEL/200 800 CONNECT chatgpt.com:443 newbie HIER_DIRECT/1.2.3.4 -",
]
LATER_DAY = date(2026, 3, 10)


def ring(settings: Any, *, current: int, versions: tuple[int, ...] = (1, 2)) -> None:
    secrets = {1: S1, 2: S2}
    settings.DISCOVERY_PSEUDONYM_KEYS = ",".join(f"{v}:{secrets[v]}" for v in versions)
    settings.DISCOVERY_PSEUDONYM_KEY_VERSION = current


def ingest(source: LogSource, data: bytes, name: str = "access.log") -> Any:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(data), name=name, synchronous=True)


def evaluate(day: date) -> Any:
    now = datetime.combine(day, time(23), tzinfo=UTC)
    return alert_rules_evaluate(since=day, until=day, now=now)


def run_rotation(batch_size: int = 500) -> PseudonymRotation:
    rotation = pseudonym_rotation_start(actor=None, enqueue=False)
    while pseudonym_rotation_step(rotation_id=rotation.pk, batch_size=batch_size):
        pass
    rotation.refresh_from_db()
    return rotation


# --- the key ring ------------------------------------------------------------------------------------------------


def test_each_key_version_is_its_own_secret(settings: Any) -> None:
    # given
    ring(settings, current=2)
    # when
    v1, v2 = pseudonymise("user:jdoe", version=1), pseudonymise("user:jdoe", version=2)
    # then the versions differ, and so does the old scheme (version 2 re-derived from one secret)
    assert v1 != v2
    assert pseudonymise("user:jdoe") == v2
    settings.DISCOVERY_PSEUDONYM_KEYS = f"1:{S1},2:{S1}"
    assert pseudonymise("user:jdoe", version=2) != v2
    assert pseudonymise("user:jdoe", version=1) == v1


def test_the_ring_reads_a_file_of_one_entry_a_line_with_comments() -> None:
    # when
    parsed = key_ring_parse(f"# rotated 2026-12-04\n1:{S1}\n\n2:{S2}  # current\n")
    # then
    assert parsed == {1: base64.b64decode(S1), 2: base64.urlsafe_b64decode(S2 + "=" * (-len(S2) % 4))}


@pytest.mark.parametrize(
    ("keys", "version", "message"),
    [
        ("1:" + base64.b64encode(b"too short").decode(), 1, "at least 32 random bytes"),
        (f"one:{S1}", 1, "is not an integer"),
        (f"1:{S1},1:{S2}", 1, "given twice"),
        (S1, 1, "is not 'version:base64-secret'"),
        ("1:not*base64*at*all*" + "x" * 40, 1, "is not base64"),
        (f"0:{S1}", 1, "outside 1..32767"),
        (f"1:{S1},2:{S2}", 3, "DISCOVERY_PSEUDONYM_KEY_VERSION=3 is not in DISCOVERY_PSEUDONYM_KEYS"),
    ],
)
def test_a_bad_key_ring_is_refused_with_a_clear_error(settings: Any, keys: str, version: int, message: str) -> None:
    # given
    settings.DISCOVERY_PSEUDONYM_KEYS = keys
    settings.DISCOVERY_PSEUDONYM_KEY_VERSION = version
    # then
    with pytest.raises(ImproperlyConfigured, match=message):
        key_ring()
    [error] = pseudonym_key_check()
    assert error.id == "discovery.E002" and message.split(" ")[0] in error.msg
    with pytest.raises(ImproperlyConfigured):
        require_pseudonym_key()


def test_the_ring_and_the_deprecated_single_key_are_not_both_accepted(settings: Any) -> None:
    # given
    settings.DISCOVERY_PSEUDONYM_KEY = "a-deprecated-single-key-of-enough-length-0123"
    # then
    with pytest.raises(ImproperlyConfigured, match="both set"):
        key_ring()


def test_the_check_refuses_a_key_derived_from_secret_key_with_debug_off(settings: Any) -> None:
    # given no ring: the key would be derived from SECRET_KEY
    settings.DISCOVERY_PSEUDONYM_KEYS = ""
    settings.DEBUG = False
    # when
    [error] = pseudonym_key_check()
    # then
    assert error.id == "discovery.E001" and error.is_serious()
    assert "derived from SECRET_KEY" in error.msg
    assert "manage.py pseudonym_key_generate" in (error.hint or "")
    with pytest.raises(ImproperlyConfigured, match="derived from SECRET_KEY"):
        require_pseudonym_key()  # what the web and worker processes call at start


def test_development_keeps_the_derived_key_with_a_warning(settings: Any) -> None:
    # given
    settings.DISCOVERY_PSEUDONYM_KEYS = ""
    settings.DEBUG = True
    # when
    [warning] = pseudonym_key_check()
    # then
    assert warning.id == "discovery.W001" and not warning.is_serious()
    require_pseudonym_key()
    assert key_ring().secret(1) == derived_secret(settings.SECRET_KEY)


def test_a_configured_ring_passes_the_check(settings: Any) -> None:
    # given
    ring(settings, current=2)
    settings.DEBUG = False
    # then
    assert pseudonym_key_check() == []


def test_key_generate_prints_a_new_entry_the_ring_accepts(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given
    ring(settings, current=1)
    # when
    call_command("pseudonym_key_generate")
    # then the next version, with a 32-byte secret
    line = capsys.readouterr().out.strip()
    assert line.startswith("3:")
    assert len(key_ring_parse(line)[3]) == 32
    call_command("pseudonym_key_generate")
    assert capsys.readouterr().out.strip() != line  # random


def test_key_generate_pin_keeps_the_derived_pseudonyms(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given a deployment that has pseudonymised with the key derived from SECRET_KEY
    settings.DISCOVERY_PSEUDONYM_KEYS = ""
    before = pseudonymise("user:jdoe")
    # when its key is pinned in the ring
    call_command("pseudonym_key_generate", "--pin")
    settings.DISCOVERY_PSEUDONYM_KEYS = capsys.readouterr().out.strip()
    # then the pseudonyms stay the same, and SECRET_KEY no longer matters
    settings.SECRET_KEY = "a-rotated-secret-key-" * 3
    assert key_ring().source == "ring"
    assert pseudonymise("user:jdoe") == before


# --- rotation ----------------------------------------------------------------------------------------------------


@pytest.fixture
def rotated(source: LogSource, settings: Any) -> dict[str, str]:
    """The fixture file ingested under v1, then the ring rotated to v2 and a later file ingested under it."""
    ring(settings, current=1)
    ingest(source, squid_bytes())
    ring(settings, current=2)
    ingest(source, squid_bytes(LATER_LINES), name="later.log")
    return {
        "old": pseudonymise("user:jdoe", version=1),
        "new": pseudonymise("user:jdoe", version=2),
        "newbie": pseudonymise("user:newbie", version=2),
    }


def test_events_after_the_rotation_are_pseudonymised_with_the_new_key(rotated: dict[str, str]) -> None:
    # then
    assert rotated["old"] != rotated["new"]
    later = UsageRecord.objects.filter(day=LATER_DAY)
    assert set(later.values_list("subject", flat=True)) == {rotated["new"], rotated["newbie"]}
    assert set(later.values_list("key_version", flat=True)) == {2}
    assert set(UsageRecord.objects.exclude(day=LATER_DAY).values_list("key_version", flat=True)) == {1}
    # the old row is linked to the identity's new pseudonym (ingestion met it under the new key)
    assert Pseudonym.objects.get(pseudonym=rotated["old"]).successor == rotated["new"]


def test_old_and_new_pseudonyms_are_reidentified_while_both_keys_are_in_the_ring(
    rotated: dict[str, str], sam: Any
) -> None:
    # then
    assert pseudonym_reidentify(pseudonym=rotated["old"], actor=sam, reason="incident 7") == "user:jdoe"
    assert pseudonym_reidentify(pseudonym=rotated["new"], actor=sam, reason="incident 7") == "user:jdoe"
    entries = AuditLogEntry.objects.filter(event_type="discovery.pseudonym.reidentified")
    assert sorted(e.extra_data["key_version"] for e in entries) == [1, 2]


def test_a_version_removed_from_the_ring_gives_a_clear_error(rotated: dict[str, str], sam: Any, settings: Any) -> None:
    # given v1 removed before its rows were re-pseudonymised
    ring(settings, current=2, versions=(2,))
    # then
    with pytest.raises(PseudonymKeyMissing, match="key version 1 is not in the key ring"):
        pseudonym_reidentify(pseudonym=rotated["old"], actor=sam, reason="incident 7")
    assert pseudonym_reidentify(pseudonym=rotated["new"], actor=sam, reason="incident 7") == "user:jdoe"
    # and the re-pseudonymisation stops with that error, converting nothing
    rotation = run_rotation()
    assert rotation.status == RotationStatus.FAILED
    assert "key version 1 is not in the key ring" in rotation.error
    assert UsageRecord.objects.filter(key_version=1).exists()
    assert AuditLogEntry.objects.filter(event_type="discovery.pseudonym_rotation.failed").count() == 1


def test_first_use_does_not_treat_a_known_user_as_new_across_the_rotation(
    source: LogSource, settings: Any, sam: Any
) -> None:
    # given the first file under v1, evaluated
    AlertRuleFactory(key="first-use", kind=AlertRuleKind.FIRST_USE_USER)
    ring(settings, current=1)
    ingest(source, squid_bytes())
    evaluate(date(2026, 3, 2))
    old = pseudonymise("user:jdoe", version=1)
    assert Alert.objects.filter(subject=old, service__slug="chatgpt").count() == 1
    # when the key rotates and a later file (jdoe again, and a new user) is evaluated before re-pseudonymisation
    ring(settings, current=2)
    ingest(source, squid_bytes(LATER_LINES), name="later.log")
    evaluate(LATER_DAY)
    # then only the new user is new
    later = Alert.objects.filter(window_start__date=LATER_DAY)
    assert list(later.values_list("subject", flat=True)) == [pseudonymise("user:newbie")]
    assert later.get().subject_key_version == 2
    # when the re-pseudonymisation runs, and the same day is evaluated again
    rotation = run_rotation()
    evaluate(LATER_DAY)
    # then the old alert carries the new pseudonym (and fingerprint) and still nobody known is new
    new = pseudonymise("user:jdoe")
    assert rotation.status == RotationStatus.DONE
    first = Alert.objects.get(service__slug="chatgpt", window_start__date=date(2026, 3, 2))
    assert (first.subject, first.subject_key_version) == (new, 2)
    assert first.fingerprint == fingerprint("first-use", new, "chatgpt")
    assert list(Alert.objects.filter(window_start__date=LATER_DAY).values_list("subject", flat=True)) == [
        pseudonymise("user:newbie")
    ]
    assert first.history.filter(subject=old).count() == 0  # its history renamed with it


def test_a_baseline_continues_across_the_rotation_before_and_after_re_pseudonymisation(
    catalog: None, settings: Any
) -> None:
    # given 10 quiet days under v1, then a heavy upload day under v2 (ingestion linked the two pseudonyms)
    ring(settings, current=2)
    AlertRuleFactory(key="baseline", kind=AlertRuleKind.BASELINE_ZSCORE, params={"min_value": 1000})
    old, new = pseudonymise("user:jdoe", version=1), pseudonymise("user:jdoe", version=2)
    Pseudonym.objects.create(
        pseudonym=old,
        key_version=1,
        kind=SubjectKind.USER,
        identity_encrypted=encrypt_identity("user:jdoe", version=1),
        successor=new,
    )
    Pseudonym.objects.create(
        pseudonym=new, key_version=2, kind=SubjectKind.USER, identity_encrypted=encrypt_identity("user:jdoe")
    )
    start = date(2026, 3, 1)
    for offset in range(10):
        add_usage(old, "chatgpt", start + timedelta(days=offset), bytes_up=100 + offset)
    spike = start + timedelta(days=10)
    row = add_usage(new, "chatgpt", spike, bytes_up=5_000_000)
    UsageRecord.objects.filter(pk=row.pk).update(key_version=2)
    # when evaluated before the re-pseudonymisation
    evaluate(spike)
    # then the spike is measured against the old pseudonym's history, as the same person
    alert = Alert.objects.get(rule__key="baseline")
    assert alert.subject == old
    # when re-pseudonymised and evaluated again
    run_rotation()
    evaluate(spike)
    # then the same alert, now under the new pseudonym, is updated rather than a second one raised
    alert = Alert.objects.get(rule__key="baseline")
    assert alert.subject == new
    assert UsageRecord.objects.filter(subject=new).count() == 11


def test_re_pseudonymisation_converts_every_table_and_writes_the_audit_trail(rotated: dict[str, str], sam: Any) -> None:
    # given a silence on the old pseudonym, and sealed malformed samples under v1
    silence = Silence.objects.create(
        subject=rotated["old"], subject_key_version=1, until=datetime(2027, 1, 1, tzinfo=UTC), reason="known"
    )
    sealed_v1 = LogChunk.objects.exclude(malformed_samples_sealed="").get(batch__original_name="access.log")
    assert sealed_v1.malformed_samples_sealed.startswith("v1:")
    v1_rows = UsageRecord.objects.filter(key_version=1).count()
    # when
    rotation = run_rotation(batch_size=1)
    # then every pseudonym and every row holding one is of v2, the same identity under the same new name
    assert rotation.status == RotationStatus.DONE
    assert set(Pseudonym.objects.values_list("key_version", flat=True)) == {2}
    assert not UsageRecord.objects.filter(key_version=1).exists()
    assert UsageRecord.objects.filter(subject=rotated["new"]).count() == 4  # 3 rows under v1, 1 under v2
    assert Pseudonym.objects.filter(pseudonym=rotated["new"]).count() == 1
    assert not Pseudonym.objects.filter(pseudonym=rotated["old"]).exists()
    assert rotation.pseudonyms_merged == 1  # jdoe: met under v2 already
    assert rotation.rows_converted["usage_records"] == v1_rows
    assert rotation.rows_left == {}
    silence.refresh_from_db()
    assert (silence.subject, silence.subject_key_version) == (rotated["new"], 2)
    sealed_v1.refresh_from_db()
    assert sealed_v1.malformed_samples_sealed.startswith("v2:")
    assert unseal_json(sealed_v1.malformed_samples_sealed)[0]["line"] == 4
    assert pseudonym_reidentify(pseudonym=rotated["new"], actor=sam, reason="after rotation") == "user:jdoe"
    started = AuditLogEntry.objects.get(event_type="discovery.pseudonym_rotation.started")
    assert started.extra_data["from_versions"] == [1] and started.extra_data["to_version"] == 2
    finished = AuditLogEntry.objects.get(event_type="discovery.pseudonym_rotation.finished")
    assert finished.extra_data["rows_converted"]["usage_records"] == v1_rows
    assert finished.target_object_id == str(rotation.pk)


def test_the_task_redelivered_twice_does_not_convert_twice(
    rotated: dict[str, str], monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    # given a run started (its task enqueued on commit) and the re-enqueues captured instead of sent
    sent: list[int] = []
    monkeypatch.setattr(rotate_pseudonyms_task, "delay", lambda rotation_id: sent.append(rotation_id))
    with django_capture_on_commit_callbacks(execute=True):
        rotation = pseudonym_rotation_start(actor=None)
    assert sent == [rotation.pk]
    v1_pseudonyms = Pseudonym.objects.filter(key_version=1).count()
    v1_rows = UsageRecord.objects.filter(key_version=1).count()
    # when the first message is delivered three times (twice redelivered), then the follow-ups drain the run
    for _ in range(3):
        rotate_pseudonyms_task(rotation.pk)
    while sent:
        rotate_pseudonyms_task(sent.pop())
    # then each row was converted once: the counts are those of the v1 rows, and converted subjects are v2 names
    rotation.refresh_from_db()
    assert rotation.status == RotationStatus.DONE
    assert rotation.pseudonyms_converted + rotation.pseudonyms_merged == v1_pseudonyms
    assert rotation.rows_converted["usage_records"] == v1_rows
    assert set(UsageRecord.objects.values_list("subject", flat=True)) == {
        pseudonymise(identity) for identity in ("user:jdoe", "user:kchen", "user:asmith", "user:newbie")
    }
    # and a later redelivery of a finished run changes nothing
    rotate_pseudonyms_task(rotation.pk)
    assert not sent
    assert AuditLogEntry.objects.filter(event_type="discovery.pseudonym_rotation.finished").count() == 1


def test_starting_while_a_run_is_in_progress_returns_that_run(rotated: dict[str, str]) -> None:
    # when
    first = pseudonym_rotation_start(actor=None, enqueue=False)
    second = pseudonym_rotation_start(actor=None, enqueue=False)
    # then
    assert first.pk == second.pk
    assert PseudonymRotation.objects.count() == 1


def test_the_rotate_command_runs_the_conversion_here(rotated: dict[str, str], capsys: Any) -> None:
    # when
    call_command("pseudonym_rotate", "--batch-size", "2")
    # then
    out = capsys.readouterr().out
    assert "to v2: done" in out
    assert not UsageRecord.objects.filter(key_version=1).exists()


def test_samples_sealed_under_a_version_still_in_the_ring_are_read(settings: Any) -> None:
    # given
    ring(settings, current=1)
    sealed = seal_json([{"line": 1, "text": "jdoe 10.0.0.5"}])
    # when
    ring(settings, current=2)
    # then
    assert unseal_json(sealed) == [{"line": 1, "text": "jdoe 10.0.0.5"}]
    ring(settings, current=2, versions=(2,))
    with pytest.raises(PseudonymKeyMissing):
        unseal_json(sealed)


def test_the_retention_purge_keeps_the_pseudonym_of_a_silence_in_force(catalog: None) -> None:
    # given two pseudonyms without usage, one of them silenced until next year
    def row(identity: str) -> Pseudonym:
        return Pseudonym.objects.create(
            pseudonym=pseudonymise(identity),
            key_version=1,
            kind=SubjectKind.USER,
            identity_encrypted=encrypt_identity(identity),
        )

    silenced, idle = row("user:silenced"), row("user:idle")
    Silence.objects.create(subject=silenced.pseudonym, until=datetime(2027, 6, 1, tzinfo=UTC), reason="noisy")
    # when
    discovery_detail_purge(now=datetime(2026, 12, 4, tzinfo=UTC))
    # then the silenced one stays, so a rotation can still re-derive it
    assert list(Pseudonym.objects.values_list("pseudonym", flat=True)) == [silenced.pseudonym]
    assert idle.pseudonym != silenced.pseudonym


def test_a_run_to_a_version_the_key_moved_on_from_is_superseded(rotated: dict[str, str], settings: Any) -> None:
    # given a run started to v2, never finished
    stale = pseudonym_rotation_start(actor=None, enqueue=False)
    # when the ring moves back to v1 (e.g. the new key was rolled back) and a run is started
    ring(settings, current=1)
    fresh = run_rotation()
    # then the stale run ended failed as superseded, and the fresh one converted everything to v1
    stale.refresh_from_db()
    assert stale.status == RotationStatus.FAILED and "superseded" in stale.error
    assert (fresh.to_version, fresh.status) == (1, RotationStatus.DONE)
    assert set(UsageRecord.objects.values_list("key_version", flat=True)) == {1}
    assert UsageRecord.objects.filter(subject=rotated["old"]).count() == 4
