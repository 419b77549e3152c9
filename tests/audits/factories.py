from __future__ import annotations

from pathlib import Path

import factory
import numpy as np
import pandas as pd
from django.conf import settings

from audits.choices import SourceType
from audits.models import AuditDefinition, AuditRun
from tests.governance.factories import AISystemFactory


def write_outputs(
    name: str,
    *,
    rows: int = 2000,
    bias: float = 0.0,
    seed: int = 7,
    frame: pd.DataFrame | None = None,
    fmt: str = "csv",
) -> Path:
    """Write synthetic binary-classification outputs under MEDIA_ROOT/audits/tests/ and return the path.

    ``bias`` lowers the selection probability of sex=F, so 0.3 gives an impact ratio far below four-fifths.
    """
    if frame is None:
        rng = np.random.default_rng(seed)
        sex = rng.choice(["F", "M"], size=rows)
        race = rng.choice(["A", "B"], size=rows)
        y_true = (rng.random(rows) < 0.4).astype(int)
        p_select = np.clip(0.3 + 0.3 * y_true - bias * (sex == "F"), 0, 1)
        y_pred = (rng.random(rows) < p_select).astype(int)
        frame = pd.DataFrame({"y_true": y_true, "y_pred": y_pred, "sex": sex, "race": race})
    directory = Path(settings.MEDIA_ROOT) / "audits" / "tests"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path)
    elif fmt == "csv.gz":
        frame.to_csv(path, index=False, compression="gzip")
    else:
        frame.to_csv(path, index=False)
    return path


class AuditDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditDefinition

    name = factory.Sequence(lambda n: f"Audit {n}")
    ai_system = factory.SubFactory(AISystemFactory)
    source_type = SourceType.PATH
    source_path = factory.LazyAttribute(lambda o: str(write_outputs(f"default-{o.name.replace(' ', '_')}")))
    sensitive_features = factory.LazyFunction(lambda: ["sex"])
    n_boot = 50


class AuditRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditRun

    definition = factory.SubFactory(AuditDefinitionFactory)
    slot = factory.Sequence(lambda n: pd.Timestamp("2026-01-01", tz="UTC").to_pydatetime() + pd.Timedelta(hours=n))
