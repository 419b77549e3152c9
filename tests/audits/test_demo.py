"""The demo loader: high-risk systems get audits with history (one failing), fast and idempotent."""

from __future__ import annotations

import time
from typing import Any

import pytest

from audits import demo
from audits.choices import RunStatus, RunVerdict
from audits.models import AuditDefinition, AuditRun, Finding
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent_fast_and_has_a_failing_run(alice: Any) -> None:
    # given
    AISystemFactory(name="CV screening assistant")
    AISystemFactory(name="Credit limit scoring")
    # when
    started = time.perf_counter()
    demo.load(users={"alice": alice})
    elapsed = time.perf_counter() - started
    counts = (AuditDefinition.objects.count(), AuditRun.objects.count(), Finding.objects.count())
    demo.load(users={"alice": alice})
    # then
    assert (AuditDefinition.objects.count(), AuditRun.objects.count(), Finding.objects.count()) == counts
    assert counts[0] == 2 and counts[1] == 8
    assert elapsed < 30
    assert not AuditRun.objects.exclude(status=RunStatus.SUCCEEDED).exists()
    credit = AuditRun.objects.filter(definition__ai_system__name="Credit limit scoring").order_by("slot")
    assert [r.verdict for r in credit][-1] == RunVerdict.FAIL
    assert RunVerdict.FAIL not in [r.verdict for r in credit][:-1]
    # the failing month is the first on the new model release, and each run names the release it audited
    assert [r.model_version.version for r in credit] == ["credit-gbm-4"] * 3 + ["credit-gbm-5"]
    assert Finding.objects.filter(definition__ai_system__name="Credit limit scoring").count() == 1
    cv_runs = AuditRun.objects.filter(definition__ai_system__name="CV screening assistant")
    assert RunVerdict.FAIL not in {r.verdict for r in cv_runs}
    cv = cv_runs.first()
    assert cv is not None and any("Unknown" in n for n in cv.notes)
    assert all(d.periodic_task_id for d in AuditDefinition.objects.all())


def test_demo_skips_missing_systems(alice: Any) -> None:
    # when
    demo.load(users={"alice": alice})
    # then
    assert AuditDefinition.objects.count() == 0
