"""Audit services: scheduling without duplicates, claim, execution, failure paths, retry, findings, e-mail."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask
from fairlearn.metrics import MetricFrame, selection_rate

from audits import metrics, services
from audits.choices import FindingKind, FindingStatus, RunStatus, RunVerdict, SourceType
from audits.models import AuditRun, Finding
from core.exceptions import InvalidTransition
from core.models import AuditLogEntry
from tests.audits.factories import AuditDefinitionFactory, AuditRunFactory, write_outputs
from tests.governance.factories import AISystemFactory
from tests.notifications.outbox import outbox_drain

pytestmark = pytest.mark.django_db


def _execute(definition: Any) -> AuditRun:
    run, _ = services.audit_run_schedule(definition=definition, now=datetime.now(UTC), enqueue=False)
    result = services.audit_run_execute(run_id=run.pk)
    assert result is not None
    return result


# --- definitions and schedules -------------------------------------------------------------------------------------


def test_create_with_cron_creates_a_periodic_task_on_the_audits_queue(alice: Any) -> None:
    # given
    data = {
        "ai_system": AISystemFactory(),
        "name": "Monthly",
        "source_type": SourceType.PATH,
        "source_path": str(write_outputs("m")),
        "sensitive_features": ["sex"],
        "schedule_cron": "0 6 1 * *",
    }
    # when
    definition = services.audit_definition_create(actor=alice, data=data)
    # then
    task = PeriodicTask.objects.get(pk=definition.periodic_task_id)
    assert task.task == "audits.tasks.schedule_audit_run_task"
    assert task.args == f"[{definition.pk}]"
    assert task.queue == "audits"
    assert task.crontab is not None and task.crontab.minute == "0" and task.crontab.day_of_month == "1"
    assert task.interval is None


def test_switching_to_interval_then_to_none_updates_then_removes_the_periodic_task(alice: Any) -> None:
    # given
    definition = AuditDefinitionFactory(schedule_cron="0 6 * * *")
    services.audit_definition_schedule_sync(definition=definition)
    task_id = definition.periodic_task_id
    # when
    definition = services.audit_definition_update(
        definition=definition, actor=alice, data={"schedule_cron": "", "schedule_interval_minutes": 15}
    )
    # then
    task = PeriodicTask.objects.get(pk=task_id)
    assert task.crontab is None and task.interval is not None and task.interval.every == 15
    # when
    services.audit_definition_update(definition=definition, actor=alice, data={"schedule_interval_minutes": None})
    # then
    assert not PeriodicTask.objects.filter(pk=task_id).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"schedule_cron": "every day"}, "schedule_cron"),
        ({"metrics": ["selection_rate", "bogus"]}, "metrics"),
        ({"thresholds": {"bogus_difference": {"fail": 0.1}}}, "thresholds"),
        ({"thresholds": {"impact_ratio": {"fail": 0.8, "warn": 0.5}}}, "thresholds"),
        ({"sensitive_features": "sex"}, "sensitive_features"),
        ({"source_type": SourceType.URL, "source_url": "file:///etc/passwd"}, "source_url"),
        ({"column_y_pred": "", "column_y_score": "score"}, "score_threshold"),
    ],
)
def test_invalid_configuration_is_rejected_with_a_field_error(alice: Any, changes: dict, field: str) -> None:
    # given
    definition = AuditDefinitionFactory()
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        services.audit_definition_update(definition=definition, actor=alice, data=changes)
    assert field in excinfo.value.message_dict


def test_cron_slot_maps_late_ticks_to_the_same_slot() -> None:
    # given
    definition = AuditDefinitionFactory(schedule_cron="0 6 * * *")
    # when
    early = services.schedule_slot(definition, datetime(2026, 3, 2, 6, 0, 5, tzinfo=UTC))
    late = services.schedule_slot(definition, datetime(2026, 3, 2, 6, 40, 0, tzinfo=UTC))
    next_day = services.schedule_slot(definition, datetime(2026, 3, 3, 6, 0, 1, tzinfo=UTC))
    # then
    assert early == late
    assert next_day > early


def test_beat_ticking_twice_for_one_slot_creates_one_run(django_capture_on_commit_callbacks: Any) -> None:
    # given
    definition = AuditDefinitionFactory(schedule_interval_minutes=60)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        first, created_first = services.audit_run_schedule(
            definition=definition, now=datetime(2026, 3, 2, 6, 1, tzinfo=UTC)
        )
        second, created_second = services.audit_run_schedule(
            definition=definition, now=datetime(2026, 3, 2, 6, 59, tzinfo=UTC)
        )
    # then
    assert first.pk == second.pk
    assert (created_first, created_second) == (True, False)
    assert AuditRun.objects.filter(definition=definition).count() == 1
    assert len(callbacks) == 1  # enqueued once


# --- claim and execution -------------------------------------------------------------------------------------------


def test_second_claim_of_the_same_run_gets_nothing() -> None:
    # given
    run = AuditRunFactory()
    # when
    first = services.audit_run_claim(run_id=run.pk)
    second = services.audit_run_claim(run_id=run.pk)
    # then
    assert (first, second) == (True, False)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.attempts == 1


def test_execute_stores_hash_rows_fairlearn_numbers_and_verdict() -> None:
    # given
    path = write_outputs("fair", rows=3000, bias=0.0)
    definition = AuditDefinitionFactory(source_path=str(path), sensitive_features=["sex"], n_boot=50)
    # when
    run = _execute(definition)
    # then
    frame = pd.read_csv(path)
    import hashlib

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.input_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert run.row_count == 3000 and run.input_bytes == path.stat().st_size
    assert run.fairlearn_version
    mf = MetricFrame(metrics=selection_rate, y_true=frame.y_true, y_pred=frame.y_pred, sensitive_features=frame["sex"])
    groups = {g["group"]: g for g in run.analyses[0]["strata"][0]["groups"]}
    for level in ("F", "M"):
        assert groups[level]["metrics"]["selection_rate"]["value"] == pytest.approx(mf.by_group[level], abs=1e-12)
        assert groups[level]["metrics"]["selection_rate"]["ci_low"] is not None
    assert run.verdict in {RunVerdict.PASS, RunVerdict.WARN}


def test_biased_outputs_fail_open_a_finding_and_email_compliance_officers(
    alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    alice.email = "alice@example.org"
    alice.save()
    system = AISystemFactory(business_owner="owner@example.org", technical_owner="HR IT")
    definition = AuditDefinitionFactory(ai_system=system, source_path=str(write_outputs("biased", bias=0.25)))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = _execute(definition)
    # then
    assert run.verdict == RunVerdict.FAIL
    finding = Finding.objects.get(run=run)
    assert finding.kind == FindingKind.FAILING and finding.ai_system == system
    assert "impact_ratio" in finding.description
    # the e-mail is one direct delivery of the notification outbox, sent by the alerts queue with its retries
    assert mail.outbox == []
    assert outbox_drain() == ["sent"]
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"alice@example.org", "owner@example.org"}
    assert finding.title in mail.outbox[0].subject


def test_still_failing_run_does_not_open_a_second_finding(alice: Any) -> None:
    # given
    definition = AuditDefinitionFactory(source_path=str(write_outputs("biased2", bias=0.25)))
    _execute(definition)
    # when
    run = services.audit_run_execute(
        run_id=services.audit_run_schedule(definition=definition, slot=datetime(2030, 1, 1, tzinfo=UTC), enqueue=False)[
            0
        ].pk
    )
    # then
    assert run is not None and run.verdict == RunVerdict.FAIL
    assert Finding.objects.filter(definition=definition, kind=FindingKind.FAILING).count() == 1


def test_non_intersectional_definition_gives_one_analysis_per_feature() -> None:
    # given
    definition = AuditDefinitionFactory(sensitive_features=["sex", "race"], intersectional=False)
    # when
    run = _execute(definition)
    # then
    assert [a["sensitive_features"] for a in run.analyses] == [["sex"], ["race"]]
    assert all(a["n_rows"] == run.row_count for a in run.analyses)


def test_intersectional_definition_gives_intersection_keys() -> None:
    # given
    definition = AuditDefinitionFactory(sensitive_features=["sex", "race"])
    # when
    run = _execute(definition)
    # then
    keys = {g["group"] for g in run.analyses[0]["strata"][0]["groups"]}
    assert keys == {"F,A", "F,B", "M,A", "M,B"}


def test_missing_sensitive_values_become_an_unknown_group_with_its_size_noted() -> None:
    # given
    frame = pd.read_csv(write_outputs("base"))
    frame.loc[:99, "sex"] = np.nan
    definition = AuditDefinitionFactory(source_path=str(write_outputs("nan", frame=frame)))
    # when
    run = _execute(definition)
    # then
    groups = {g["group"]: g for g in run.analyses[0]["strata"][0]["groups"]}
    assert groups["Unknown"]["count"] == 100
    assert any("100 rows" in n and "Unknown" in n for n in run.notes)


def test_empty_intersection_is_reported_not_judged() -> None:
    # given
    frame = pd.read_csv(write_outputs("base2"))
    frame = frame[~((frame.sex == "F") & (frame.race == "B"))]
    definition = AuditDefinitionFactory(
        sensitive_features=["sex", "race"], source_path=str(write_outputs("holes", frame=frame))
    )
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.SUCCEEDED
    assert any("'F,B' has no rows" in n for n in run.notes)


# --- failure paths ---------------------------------------------------------------------------------------------------


def _bad(name: str, frame: pd.DataFrame) -> Path:
    return write_outputs(name, frame=frame)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda: {"source_path": str(_bad("nocol", pd.DataFrame({"y_true": [1], "y_pred": [0]})))}, "Missing columns"),
        (
            lambda: {
                "source_path": str(_bad("multi", pd.DataFrame({"y_true": [0, 1, 2], "y_pred": [0, 1, 1], "sex": "F"})))
            },
            "distinct labels",
        ),
        (
            lambda: {"source_path": str(_bad("empty", pd.DataFrame({"y_true": [], "y_pred": [], "sex": []})))},
            "No rows",
        ),
        (lambda: {"source_path": "/etc/passwd"}, "outside the allowed input directories"),
        (lambda: {"sensitive_features": []}, "incomplete; set: sensitive_features"),
        (lambda: {"source_type": SourceType.UPLOAD}, "incomplete; set: source_file"),
        (lambda: {"source_path": str(Path(write_outputs("x")).with_name("gone.csv"))}, "not found"),
    ],
)
def test_bad_input_fails_the_run_with_a_clear_message(setup: Any, message: str) -> None:
    # given
    definition = AuditDefinitionFactory(**setup())
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.FAILED
    assert message in run.error
    assert run.verdict == ""
    assert Finding.objects.filter(run=run, kind=FindingKind.RUN_ERROR).exists()


def test_file_over_the_size_cap_fails_before_reading(settings: Any) -> None:
    # given
    settings.AUDITS_MAX_INPUT_BYTES = 100
    definition = AuditDefinitionFactory()
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.FAILED and "over the 100-byte cap" in run.error


def test_parquet_and_csv_gz_inputs_give_the_same_numbers() -> None:
    # given
    frame = pd.read_csv(write_outputs("src"))
    a = AuditDefinitionFactory(source_path=str(write_outputs("p", frame=frame, fmt="parquet")))
    b = AuditDefinitionFactory(source_path=str(write_outputs("g", frame=frame, fmt="csv.gz")))
    # when
    ra, rb = _execute(a), _execute(b)
    # then
    assert ra.status == rb.status == RunStatus.SUCCEEDED
    assert ra.analyses[0]["strata"] == rb.analyses[0]["strata"]


def test_uploaded_file_source(alice: Any) -> None:
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = gzip.compress(write_outputs("up").read_bytes())
    definition = services.audit_definition_create(
        actor=alice,
        data={
            "ai_system": AISystemFactory(),
            "name": "Uploaded",
            "source_type": SourceType.UPLOAD,
            "source_file": SimpleUploadedFile("outputs.csv.gz", content),
            "sensitive_features": ["sex"],
            "n_boot": 0,
        },
    )
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.row_count == 2000


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_url_source_downloads_and_hashes(http_root: tuple[str, Path]) -> None:
    # given
    base, root = http_root
    (root / "out.csv").write_bytes(write_outputs("web").read_bytes())
    definition = AuditDefinitionFactory(source_type=SourceType.URL, source_url=f"{base}/out.csv")
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.SUCCEEDED, run.error
    import hashlib

    assert run.input_sha256 == hashlib.sha256((root / "out.csv").read_bytes()).hexdigest()


def test_url_source_over_the_cap_and_404_fail_with_messages(http_root: tuple[str, Path], settings: Any) -> None:
    # given
    base, root = http_root
    (root / "out.csv").write_bytes(write_outputs("web2").read_bytes())
    settings.AUDITS_MAX_INPUT_BYTES = 1000
    big = AuditDefinitionFactory(source_type=SourceType.URL, source_url=f"{base}/out.csv")
    missing = AuditDefinitionFactory(source_type=SourceType.URL, source_url=f"{base}/nothing.csv")
    # when
    big_run, missing_run = _execute(big), _execute(missing)
    # then
    assert big_run.status == RunStatus.FAILED and "cap" in big_run.error
    assert missing_run.status == RunStatus.FAILED and "404" in missing_run.error


def test_sql_source_reads_a_select_from_a_configured_alias() -> None:
    # given: the outputs live in a table of the default database
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_outputs_test (y_true integer, y_pred integer, sex varchar(5))")
        cursor.executemany(
            "INSERT INTO audit_outputs_test VALUES (%s, %s, %s)",
            [(i % 2, (i // 2) % 2, "F" if i % 3 else "M") for i in range(300)],
        )
    definition = AuditDefinitionFactory(
        source_type=SourceType.SQL,
        source_database="default",
        source_query="SELECT y_true, y_pred, sex FROM audit_outputs_test",
        min_group_size=10,
    )
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.row_count == 300


def test_sql_source_refuses_anything_but_one_select() -> None:
    # given
    definition = AuditDefinitionFactory(
        source_type=SourceType.SQL, source_database="default", source_query="DELETE FROM auth_user; SELECT 1"
    )
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.FAILED and "single SELECT" in run.error


def test_unexpected_exception_still_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    definition = AuditDefinitionFactory()

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(metrics, "load_outputs", boom)  # audits.services imports it when a run computes
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.FAILED
    assert run.error == "Unexpected error (RuntimeError): disk on fire"


# --- retry and run now -------------------------------------------------------------------------------------------


def test_failed_run_can_be_retried_and_then_succeeds(alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    # given
    definition = AuditDefinitionFactory(source_path=str(Path(write_outputs("later")).with_name("later2.csv")))
    run = _execute(definition)
    assert run.status == RunStatus.FAILED
    write_outputs("later2")
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.audit_run_retry(run=run, actor=alice, reason="file delivered")
    # then
    assert run.status == RunStatus.PENDING and len(callbacks) == 1
    run = services.audit_run_execute(run_id=run.pk)
    assert run is not None and run.status == RunStatus.SUCCEEDED and run.attempts == 2 and run.error == ""
    assert AuditLogEntry.objects.filter(event_type="audits.audit_run.retried", reason="file delivered").exists()


def test_only_failed_runs_can_be_retried(alice: Any) -> None:
    # given
    run = _execute(AuditDefinitionFactory())
    # when / then
    with pytest.raises(InvalidTransition):
        services.audit_run_retry(run=run, actor=alice)


def test_run_now_enqueues_on_commit(alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.audit_run_request(definition=definition, actor=alice)
    # then
    assert len(callbacks) == 1
    assert run.status == RunStatus.PENDING and run.requested_by == alice


def test_finding_resolve(alice: Any) -> None:
    # given
    run = _execute(AuditDefinitionFactory(source_path="/nowhere.csv"))
    finding = Finding.objects.get(run=run)
    # when
    services.finding_resolve(finding=finding, actor=alice, reason="fixed the export")
    # then
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED and finding.resolved_at is not None
    with pytest.raises(InvalidTransition):
        services.finding_resolve(finding=finding, actor=alice)


def test_runs_of_a_dead_worker_are_failed_and_can_be_retried(alice: Any, settings: Any) -> None:
    # given: one run claimed long ago, one claimed just now
    from datetime import timedelta

    from django.utils import timezone

    old, fresh = AuditRunFactory(), AuditRunFactory()
    services.audit_run_claim(run_id=old.pk)
    services.audit_run_claim(run_id=fresh.pk)
    AuditRun.objects.filter(pk=old.pk).update(
        started_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 3600)
    )
    # when
    failed = services.audit_runs_fail_stale()
    # then
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert failed == 1
    assert old.status == RunStatus.FAILED and "worker stopped" in old.error
    assert fresh.status == RunStatus.RUNNING
    assert services.audit_run_retry(run=old, actor=alice, enqueue=False).status == RunStatus.PENDING


def test_regression_definition_reports_scoring_rate_and_errors() -> None:
    # given
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"y_true": rng.random(1000), "y_pred": rng.random(1000), "sex": rng.choice(["F", "M"], 1000)})
    definition = AuditDefinitionFactory(
        task_type="regression",
        metrics=["mean_absolute_error", "scoring_rate"],
        source_path=str(write_outputs("reg", frame=frame)),
    )
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.SUCCEEDED, run.error
    group = run.analyses[0]["strata"][0]["groups"][0]
    assert {"mean_absolute_error", "scoring_rate"} <= set(group["metrics"])
    assert group["impact_ratio"]["rate_metric"] == "scoring_rate"


def test_text_labels_use_the_configured_positive_label() -> None:
    # given
    frame = pd.DataFrame(
        {"y_true": ["yes", "no"] * 100, "y_pred": ["yes"] * 150 + ["no"] * 50, "sex": ["F", "M"] * 100}
    )
    definition = AuditDefinitionFactory(pos_label="yes", source_path=str(write_outputs("text", frame=frame)))
    # when
    run = _execute(definition)
    # then
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.analyses[0]["strata"][0]["overall"]["selection_rate"] == pytest.approx(0.75)


def test_finding_links_the_systems_art_10_obligation_when_the_registry_has_one() -> None:
    # given
    from datetime import date

    from governance.models import Obligation

    system = AISystemFactory()
    obligation = Obligation.objects.create(
        system=system, obligation_id="art-10", article="Art. 10", duty="Data governance", applies_from=date(2026, 8, 2)
    )
    definition = AuditDefinitionFactory(ai_system=system, source_path=str(write_outputs("biased3", bias=0.25)))
    # when
    run = _execute(definition)
    # then
    finding = Finding.objects.get(run=run)
    assert finding.registry_obligation == obligation
