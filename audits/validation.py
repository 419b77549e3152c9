"""Translate an audit definition into the pure core's inputs (column mapping, thresholds) and validate it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery.schedules import crontab

from audits.metrics import ColumnMapping, Task, thresholds_from_dict

if TYPE_CHECKING:
    from audits.models import AuditDefinition

#: fairlearn-style named aggregates the core computes for binary tasks (see audits.metrics.group_fairness).
_BINARY_NAMED_AGGREGATES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
)


def parse_pos_label(value: str) -> Any:
    """Stored as text; compared with the data's own type: '1' -> 1, '0.5' -> 0.5, 'yes' -> 'yes'."""
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def parse_cron(expression: str) -> crontab:
    """'minute hour day-of-month month day-of-week' -> celery crontab; ValueError on anything else."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError("A crontab needs five fields: minute hour day-of-month month day-of-week.")
    minute, hour, day_of_month, month_of_year, day_of_week = parts
    try:
        return crontab(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
        )
    except Exception as exc:  # celery raises ValueError or its own ParseException
        raise ValueError(f"Invalid crontab {expression!r}: {exc}") from exc


def judgeable_metrics(task: Task) -> set[str]:
    """Threshold keys the core accepts for ``task``: impact_ratio and every stratum aggregate."""
    from audits.metrics.definitions import COUNT_METRIC, metric_names  # scikit-learn: not at app loading

    names = [m for m in metric_names(task) if m != COUNT_METRIC]
    keys = {"impact_ratio"} | {f"{m}_{s}" for m in names for s in ("group_min", "group_max", "difference", "ratio")}
    if task is Task.BINARY:
        keys |= set(_BINARY_NAMED_AGGREGATES)
    return keys


def column_mapping(definition: AuditDefinition, sensitive: list[str] | None = None) -> ColumnMapping:
    """The core's ColumnMapping for ``definition`` (optionally for a subset of its sensitive features)."""
    return ColumnMapping(
        y_true=definition.column_y_true,
        y_pred=definition.column_y_pred or None,
        y_score=definition.column_y_score or None,
        threshold=definition.score_threshold if definition.column_y_score else None,
        sample_weight=definition.column_sample_weight or None,
        sensitive_features=tuple(sensitive if sensitive is not None else definition.sensitive_features),
        control_feature=definition.column_control or None,
        pos_label=parse_pos_label(definition.pos_label),
    )


def definition_config_errors(definition: AuditDefinition) -> dict[str, str]:
    """Field errors in the analysis configuration that the model's shape checks cannot see."""
    from audits.metrics import metric_names  # scikit-learn: not at app loading

    errors: dict[str, str] = {}
    task = Task(definition.task_type)
    unknown = sorted(set(definition.metrics) - set(metric_names(task)))
    if unknown:
        errors["metrics"] = f"Unknown metrics for a {task.value} task: {unknown}. Known: {metric_names(task)}"
    try:
        bands = thresholds_from_dict(definition.thresholds)
    except (TypeError, ValueError) as exc:
        errors["thresholds"] = f"Invalid threshold bands: {exc}"
    else:
        bad = sorted(set(bands) - judgeable_metrics(task))
        if bad:
            errors["thresholds"] = f"Thresholds for unknown metrics: {bad}"
    if definition.sensitive_features:
        try:
            column_mapping(definition)
        except ValueError as exc:
            errors["sensitive_features"] = str(exc)
    if definition.schedule_cron:
        try:
            parse_cron(definition.schedule_cron)
        except ValueError as exc:
            errors["schedule_cron"] = str(exc)
    return errors
