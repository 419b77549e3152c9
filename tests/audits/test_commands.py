"""Management commands: run_audit (stores a run) and audit_file (stores nothing)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

from audits.models import AuditRun
from tests.audits.factories import AuditDefinitionFactory, write_outputs


@pytest.mark.django_db
def test_run_audit_json_prints_the_stored_run() -> None:
    # given
    definition = AuditDefinitionFactory()
    out = io.StringIO()
    # when
    call_command("run_audit", str(definition.pk), "--json", stdout=out)
    # then
    payload = json.loads(out.getvalue())
    run = AuditRun.objects.get(definition=definition)
    assert payload["id"] == run.pk and payload["status"] == "succeeded" and payload["trigger"] == "command"
    assert payload["input_sha256"] == run.input_sha256
    assert payload["result"]["analyses"][0]["strata"][0]["groups"]


@pytest.mark.django_db
def test_run_audit_failure_is_a_command_error_and_is_stored() -> None:
    # given
    definition = AuditDefinitionFactory(source_path="/missing.csv")
    # when / then
    with pytest.raises(CommandError, match="failed"):
        call_command("run_audit", str(definition.pk), stdout=io.StringIO())
    assert AuditRun.objects.get(definition=definition).status == "failed"


@pytest.mark.django_db
def test_run_audit_unknown_definition() -> None:
    with pytest.raises(CommandError, match="No audit definition"):
        call_command("run_audit", "424242")


def test_audit_file_json_matches_plain_fairlearn(tmp_path: object) -> None:
    # given
    import pandas as pd

    path = write_outputs("cli", rows=5000)
    frame = pd.read_csv(path)
    out = io.StringIO()
    # when
    call_command(
        "audit_file",
        str(path),
        "--y-true",
        "y_true",
        "--y-pred",
        "y_pred",
        "--sensitive",
        "sex",
        "--sensitive",
        "race",
        "--json",
        stdout=out,
    )
    # then
    payload = json.loads(out.getvalue())
    assert payload["n_rows"] == 5000
    mf = MetricFrame(
        metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate},
        y_true=frame.y_true,
        y_pred=frame.y_pred,
        sensitive_features=frame[["sex", "race"]],
    )
    for (sex, race), row in mf.by_group.iterrows():
        group = payload["by_group"][f"{sex},{race}"]
        assert group["count"] == int(((frame.sex == sex) & (frame.race == race)).sum())
        assert group["selection_rate"] == pytest.approx(row["selection_rate"], abs=1e-12)
        assert group["true_positive_rate"] == pytest.approx(row["true_positive_rate"], abs=1e-12)
    assert {"false_positive_rate", "impact_ratio"} <= set(group)
    assert payload["aggregates"]["demographic_parity_difference"] == pytest.approx(
        mf.difference()["selection_rate"], abs=1e-12
    )
    assert payload["verdict"] in {"pass", "warn", "fail"}


def test_audit_file_with_a_score_threshold() -> None:
    # given
    import pandas as pd

    frame = pd.DataFrame({"y": [0, 1] * 50, "score": [i / 100 for i in range(100)], "g": ["a", "b"] * 50})
    path = write_outputs("score", frame=frame)
    out = io.StringIO()
    # when
    call_command(
        "audit_file",
        str(path),
        "--y-true",
        "y",
        "--y-pred",
        "score",
        "--sensitive",
        "g",
        "--threshold",
        "0.5",
        "--json",
        stdout=out,
    )
    # then
    payload = json.loads(out.getvalue())
    assert payload["overall"]["selection_rate"] == pytest.approx(0.5)


def test_audit_file_missing_column_is_a_command_error() -> None:
    # given
    path = write_outputs("cli2")
    # when / then
    with pytest.raises(CommandError):
        call_command("audit_file", str(path), "--y-true", "nope", "--y-pred", "y_pred", "--sensitive", "sex")
