"""Demo audit data for `manage.py demo`: fairness audits of the demo's high-risk systems with a few months of
history each (one of them failing), computed synchronously so the admin shows them at once. Idempotent: files are
regenerated from fixed seeds and runs are keyed by their (definition, slot)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

from audits.choices import LegalBasis, RunTrigger, SourceType
from audits.models import AuditDefinition, AuditRun
from audits.services import audit_definition_create, audit_definition_update, audit_run_execute, audit_run_schedule
from governance.models import AISystem, ModelVersion
from governance.selectors import ai_system_list, model_version_list
from governance.services import model_version_create

ROWS = 40_000
SLOTS = [datetime(2026, month, 1, 6, 0, tzinfo=UTC) for month in (8, 9, 10, 11)]


def _cv_outputs(seed: int) -> pd.DataFrame:
    """Screening decisions (1 = invited to interview) with a small, shrinking gap for women: passes LL144 review."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=ROWS, p=[0.48, 0.52])
    race = rng.choice(
        ["Asian", "Black", "Hispanic", "White", "Two or more"], size=ROWS, p=[0.12, 0.18, 0.2, 0.45, 0.05]
    )
    unknown = rng.random(ROWS) < 0.02  # some applicants did not self-identify
    qualified = (rng.random(ROWS) < 0.35).astype(int)
    gap = 0.03 - 0.01 * (seed % 10)
    p = np.clip(0.15 + 0.55 * qualified - gap * (sex == "Female"), 0, 1)
    invited = (rng.random(ROWS) < p).astype(int)
    frame = pd.DataFrame({"qualified": qualified, "invited": invited, "sex": sex, "race": race})
    frame.loc[unknown, "race"] = None
    return frame


def _credit_outputs(seed: int, gap: float) -> pd.DataFrame:
    """Approvals by the credit model; ``gap`` lowers approvals for applicants under 25."""
    rng = np.random.default_rng(seed)
    age = rng.choice(["<25", "25-44", "45-64", "65+"], size=ROWS, p=[0.15, 0.4, 0.3, 0.15])
    sex = rng.choice(["F", "M"], size=ROWS)
    repaid = (rng.random(ROWS) < 0.8).astype(int)
    p = np.clip(0.45 + 0.3 * repaid - gap * (age == "<25"), 0, 1)
    approved = (rng.random(ROWS) < p).astype(int)
    return pd.DataFrame({"repaid": repaid, "approved": approved, "age_band": age, "sex": sex})


DEMO_AUDITS: list[dict[str, Any]] = [
    {
        "system": "CV screening assistant",
        "name": "LL144 annual bias audit",
        "file": "cv_screening.csv",
        "frames": [lambda i=i: _cv_outputs(100 + i) for i in range(len(SLOTS))],
        "versions": [("ranker-2026.07", date(2026, 7, 15))] * len(SLOTS),
        "config": {
            "description": "Selection-rate impact ratios by sex x race/ethnicity (6 RCNY §5-301), unknowns reported.",
            "column_y_true": "qualified",
            "column_y_pred": "invited",
            "sensitive_features": ["sex", "race"],
            "metrics": ["selection_rate", "true_positive_rate", "false_positive_rate"],
            "legal_basis": LegalBasis.LL144,
            # LL144 §5-301(d): categories under 2 % of the data may be left out of the impact ratios (still reported)
            "min_group_size": 800,
            # LL144 asks for impact ratios and sets no pass mark; the four-fifths rule is the customary reading
            "thresholds": {
                "impact_ratio": {"fail": 0.8, "warn": 0.9, "higher_is_better": True, "basis": "four_fifths"}
            },
            "schedule_cron": "0 6 1 * *",
        },
    },
    {
        "system": "Credit limit scoring",
        "name": "Four-fifths check on approvals",
        "file": "credit_scoring.parquet",
        # the November model release disadvantages applicants under 25: that run fails
        "frames": [lambda i=i, g=g: _credit_outputs(200 + i, g) for i, g in enumerate((0.02, 0.03, 0.02, 0.3))],
        "versions": [("credit-gbm-4", date(2026, 5, 12))] * 3 + [("credit-gbm-5", date(2026, 10, 20))],
        "config": {
            "description": "Approval-rate parity by age band and sex, judged per feature (not intersectional).",
            "column_y_true": "repaid",
            "column_y_pred": "approved",
            "sensitive_features": ["age_band", "sex"],
            "intersectional": False,
            "metrics": ["selection_rate", "false_negative_rate", "accuracy_score"],
            "legal_basis": LegalBasis.FOUR_FIFTHS,
            "schedule_cron": "0 6 1 * *",
        },
    },
]


def _write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _model_version(system: AISystem, version: str, released: date, actor: Any) -> ModelVersion:
    existing = model_version_list().filter(system=system, version=version).first()
    if existing is not None:
        return existing
    return model_version_create(
        actor=actor,
        reason="demo data",
        data={"system": system, "version": version, "release_date": released, "artifact_uri": f"s3://models/{version}"},
    )


def load(*, users: dict[str, Any]) -> None:
    """Create (or complete) the demo audit definitions as ``alice`` and compute their missing monthly runs."""
    alice = users["alice"]
    for spec in DEMO_AUDITS:
        system = ai_system_list().filter(name=spec["system"]).first()
        if system is None:
            continue
        path = Path(settings.MEDIA_ROOT) / "audits" / "demo" / spec["file"]
        config = {**spec["config"], "source_type": SourceType.PATH, "source_path": str(path), "n_boot": 500}
        definition = AuditDefinition.objects.filter(ai_system=system, name=spec["name"]).first()
        if not path.exists():
            _write(spec["frames"][-1](), path)  # model_create validates the source exists only at run time
        if definition is None:
            definition = audit_definition_create(
                actor=alice, reason="demo data", data={"ai_system": system, "name": spec["name"], **config}
            )
        elif not definition.sensitive_features:  # the minimal definition of an earlier demo version
            definition = audit_definition_update(definition=definition, actor=alice, reason="demo data", data=config)
        for slot, make_frame, (version, released) in zip(SLOTS, spec["frames"], spec["versions"], strict=True):
            if AuditRun.objects.filter(definition=definition, slot=slot).exists():
                continue
            model_version = _model_version(system, version, released, alice)
            if definition.model_version_id != model_version.pk:  # the model release that month's outputs came from
                definition = audit_definition_update(
                    definition=definition,
                    actor=alice,
                    reason="demo data: new model release",
                    data={"model_version": model_version},
                )
            _write(make_frame(), path)  # the polled file as it was at that month's run
            run, _ = audit_run_schedule(definition=definition, slot=slot, trigger=RunTrigger.DEMO, enqueue=False)
            audit_run_execute(run_id=run.pk)
