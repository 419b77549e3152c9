"""Gather the evidence for one AI system (optionally one period) or one audit run, as pack files plus report data.

Everything is read through the other apps' selectors (never their models) and cut off at the pack's ``created_at``: the
registry as it stood then (django-simple-history ``as_of``), classification records, audit runs, findings, audit
trail and history rows up to that instant. So the same database state and the same ``created_at`` give the same
files byte for byte, even after later changes, downloads or requests (which come after ``created_at``).

Files produced (``files`` of :class:`CollectedEvidence`; the PDF is added by the caller)::

    data/system.json              system card and model versions
    data/classification.json      latest classification record: facts, result, rationale, law version
    data/classifications.csv      every classification record up to created_at
    data/obligations.csv|json     obligations checklist with status, owner, due date, evidence (with SHA-256)
    data/audit_runs.csv           fairness-audit runs (input hash, rows, verdict)
    data/audit_groups.csv         per-group counts, metrics, impact ratios and verdicts
    data/audit_verdicts.csv       every judged metric with its threshold and basis
    data/audit_results/run-<id>.json   the stored result of each run, unchanged
    data/findings.csv             audit findings
    data/shadow_ai.csv|json       shadow-AI usage of the system's vendor's services (pseudonymous, aggregated)
    charts/run-<id>-<n>-<metric>.png|svg   per-group bars of the latest run of each audit
    charts/trend-<definition id>.png|svg   minimum impact ratio across runs
    audit_trail.csv|json          audit-log events and row-change history of the system and its related objects
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q, QuerySet

from audits.choices import RunStatus
from audits.selectors import audit_definition_list, audit_history, audit_run_list, finding_list, run_metric_value
from core.selectors import audit_log_list, usernames_by_id
from discovery import selectors as discovery
from evidence.pack.archive import canonical_json
from governance.selectors import (
    ai_system_as_of,
    ai_system_history,
    ai_system_list,
    classification_record_list,
    model_version_list,
    obligation_list,
    obligations_as_of,
)

if TYPE_CHECKING:  # annotations only: other apps' data is read through their selectors
    from audits.models import AuditDefinition, AuditRun, Finding
    from governance.models import AISystem, ObligationEvidence

#: fixed salt so SVG element ids are the same on every render (matplotlib uses a random one otherwise)
SVG_HASH_SALT = "aigov-evidence-pack"
_SVG_DATE = re.compile(rb"\s*<dc:date>[^<]*</dc:date>")
#: a CSV cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: per-group charts are drawn for the latest run of each audit; older runs are in the data files
CHART_RUNS_PER_DEFINITION = 1

SYSTEM_FIELDS = (
    "id",
    "name",
    "purpose",
    "business_unit",
    "business_owner",
    "technical_owner",
    "lifecycle_stage",
    "vendor",
    "sourcing",
    "deployment",
    "data_location",
    "personal_data_categories",
    "affected_persons",
    "roles",
    "risk_class",
    "classified_at",
)


@dataclass(frozen=True)
class Period:
    """An inclusive range of days (UTC)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The last instant of the period (used as the created-at of a pack for a closed period)."""
        return self.end_before - timedelta(seconds=2)

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def parse(cls, text: str) -> Period:
        """``YYYY-MM-DD:YYYY-MM-DD``."""
        start, sep, end = text.partition(":")
        if not sep:
            raise ValueError("a period is START:END, e.g. 2026-01-01:2026-03-31")
        return cls(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))


@dataclass
class CollectedEvidence:
    """Pack content files (without the PDF), manifest metadata and the data the PDF report is drawn from."""

    files: dict[str, bytes]
    metadata: dict[str, Any]
    report: dict[str, Any]
    chart_png: dict[str, bytes] = field(default_factory=dict)


# --- serialisation helpers --------------------------------------------------------------------------------------


def iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(iso(value))
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """RFC 4180 CSV (CRLF line ends), UTF-8, with spreadsheet formula escaping."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def json_bytes(value: Any) -> bytes:
    return canonical_json(_jsonable(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN
        return None
    return iso(value)


def _user(user: Any) -> str:
    return user.get_username() if user is not None else ""


def render_chart(make: Any, *args: Any, fmt: str) -> bytes:
    """Render one of :mod:`audits.charts` deterministically: fixed SVG id salt, no SVG date (PNG has none)."""
    import matplotlib  # heavy: loaded when a pack is drawn, not when the app starts

    with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
        data: bytes = make(*args, fmt=fmt)
    if fmt == "svg":
        data = _SVG_DATE.sub(b"", data)
    return data


# --- collection -------------------------------------------------------------------------------------------------


def _in_period(qs: QuerySet[Any], field_name: str, period: Period | None, created_at: datetime) -> QuerySet[Any]:
    qs = qs.filter(**{f"{field_name}__lte": created_at})
    if period is not None:
        qs = qs.filter(**{f"{field_name}__gte": period.start_at, f"{field_name}__lt": period.end_before})
    return qs


def system_card(system: AISystem, created_at: datetime) -> dict[str, Any]:
    snapshot = ai_system_as_of(system=system, moment=created_at)
    card = {name: iso(getattr(snapshot, name)) for name in SYSTEM_FIELDS}
    versions = model_version_list().filter(system=system, created_at__lte=created_at).order_by("release_date", "id")
    card["model_versions"] = [
        {
            "version": v.version,
            "artifact_uri": v.artifact_uri,
            "base_model": v.base_model,
            "training_compute_flop": v.training_compute_flop,
            "release_date": iso(v.release_date),
            "intended_use_notes": v.intended_use_notes,
        }
        for v in versions
    ]
    return card


def _classification(system: AISystem, created_at: datetime) -> tuple[dict[str, Any] | None, bytes]:
    records = list(
        classification_record_list().filter(system=system, created_at__lte=created_at).order_by("created_at", "id")
    )
    table = csv_bytes(
        ["record_id", "created_at", "created_by", "law_version", "as_of", "risk_class", "changed"],
        [[r.pk, r.created_at, _user(r.created_by), r.law_version, r.as_of, r.risk_class, r.changed] for r in records],
    )
    if not records:
        return None, table
    latest = records[-1]
    return {
        "record_id": latest.pk,
        "created_at": iso(latest.created_at),
        "created_by": _user(latest.created_by),
        "law_version": latest.law_version,
        "as_of": iso(latest.as_of),
        "risk_class": latest.risk_class,
        "facts": latest.facts,
        "result": latest.result,
        "diff_against_previous": latest.diff,
    }, table


def _file_sha256(evidence: ObligationEvidence) -> str:
    if not evidence.file:
        return ""
    digest = hashlib.sha256()
    try:
        with evidence.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except OSError:
        return "missing"
    return digest.hexdigest()


def _obligations(system: AISystem, created_at: datetime) -> list[dict[str, Any]]:
    current = {o.pk: o for o in obligation_list().filter(system=system)}
    rows = obligations_as_of(system=system, moment=created_at)
    owners = usernames_by_id(user_ids=[o.owner_id for o in rows if o.owner_id])
    result = []
    for ob in sorted(rows, key=lambda o: (o.applies_from, o.article, o.pk)):
        live = current.get(ob.pk)
        evidence = [] if live is None else [e for e in live.evidence.all() if e.created_at <= created_at]
        result.append(
            {
                "obligation_id": ob.obligation_id,
                "article": ob.article,
                "duty": ob.duty,
                "roles": ob.roles,
                "applies_from": iso(ob.applies_from),
                "deadline_text": ob.deadline_text,
                "verified_law_data": ob.verified,
                "is_current": ob.is_current,
                "status": ob.status,
                "not_applicable_reason": ob.not_applicable_reason,
                "owner": owners.get(ob.owner_id, "") if ob.owner_id else "",
                "due_date": iso(ob.due_date),
                "evidence": [
                    {
                        "description": e.description,
                        "url": e.url,
                        "file": e.file.name if e.file else "",
                        "file_sha256": _file_sha256(e),
                        "added_at": iso(e.created_at),
                    }
                    for e in sorted(evidence, key=lambda e: e.pk)
                ],
            }
        )
    return result


def _group_rows(run: AuditRun) -> list[list[Any]]:
    rows = []
    for index, analysis in enumerate(run.analyses):
        features = " x ".join(analysis.get("sensitive_features", []))
        for stratum in analysis.get("strata", []):
            for group in stratum.get("groups", []):
                ratio = group.get("impact_ratio") or {}
                test = ratio.get("test") or {}
                metrics = {k: (v or {}).get("value") for k, v in (group.get("metrics") or {}).items()}
                rows.append(
                    [
                        run.pk,
                        index,
                        features,
                        stratum.get("control") or "",
                        group.get("group"),
                        group.get("count"),
                        group.get("share"),
                        group.get("eligible"),
                        group.get("is_reference"),
                        ratio.get("value"),
                        ratio.get("ci_low"),
                        ratio.get("ci_high"),
                        test.get("p_value"),
                        group.get("verdict"),
                        metrics,
                    ]
                )
    return rows


def _verdict_rows(run: AuditRun) -> list[list[Any]]:
    rows = []
    for index, analysis in enumerate(run.analyses):
        for v in (analysis.get("verdicts") or {}).get("metrics", []):
            rows.append(
                [
                    run.pk,
                    index,
                    v.get("metric"),
                    v.get("control") or "",
                    v.get("group") or "",
                    v.get("value"),
                    v.get("verdict"),
                    v.get("fail"),
                    v.get("warn"),
                    v.get("higher_is_better"),
                    v.get("p_value"),
                    v.get("basis"),
                ]
            )
    return rows


def _chart_metric(definition: AuditDefinition, analysis: dict[str, Any]) -> str | None:
    stratum = (analysis.get("strata") or [{}])[0]
    available: set[str] = set()
    for group in stratum.get("groups", []):
        available.update((group.get("metrics") or {}).keys())
    for metric in ["selection_rate", *definition.metrics]:
        if metric in available:
            return metric
    return min(available) if available else None


def _audits(
    files: dict[str, bytes],
    chart_png: dict[str, bytes],
    runs: list[AuditRun],
    definitions: list[AuditDefinition],
) -> list[dict[str, Any]]:
    """Write the audit data files and charts; return the report's per-audit sections."""
    from audits import charts  # matplotlib: loaded when a pack is drawn, not when the app starts

    files["data/audit_runs.csv"] = csv_bytes(
        [
            "run_id",
            "definition_id",
            "definition",
            "legal_basis",
            "model_version",
            "slot",
            "status",
            "started_at",
            "finished_at",
            "input_sha256",
            "input_bytes",
            "row_count",
            "rows_excluded",
            "fairlearn_version",
            "verdict",
            "error",
        ],
        [
            [
                r.pk,
                r.definition_id,
                r.definition.name,
                r.definition.legal_basis,
                r.model_version.version if r.model_version else "",
                r.slot,
                r.status,
                r.started_at,
                r.finished_at,
                r.input_sha256,
                r.input_bytes,
                r.row_count,
                r.rows_excluded,
                r.fairlearn_version,
                r.verdict,
                r.error,
            ]
            for r in runs
        ],
    )
    files["data/audit_groups.csv"] = csv_bytes(
        [
            "run_id",
            "analysis",
            "sensitive_features",
            "control",
            "group",
            "count",
            "share",
            "eligible",
            "is_reference",
            "impact_ratio",
            "impact_ratio_ci_low",
            "impact_ratio_ci_high",
            "p_value",
            "verdict",
            "metrics",
        ],
        [row for r in runs for row in _group_rows(r)],
    )
    files["data/audit_verdicts.csv"] = csv_bytes(
        [
            "run_id",
            "analysis",
            "metric",
            "control",
            "group",
            "value",
            "verdict",
            "fail_threshold",
            "warn_threshold",
            "higher_is_better",
            "p_value",
            "basis",
        ],
        [row for r in runs for row in _verdict_rows(r)],
    )
    for run in runs:
        if run.result is not None:
            files[f"data/audit_results/run-{run.pk}.json"] = json_bytes(
                {"run_id": run.pk, "notes": run.notes, "result": run.result}
            )
    sections = []
    for definition in definitions:
        own = [r for r in runs if r.definition_id == definition.pk]
        if not own:
            continue
        completed = [r for r in own if r.status == RunStatus.SUCCEEDED]
        section: dict[str, Any] = {
            "definition": definition.name,
            "definition_id": definition.pk,
            "legal_basis": definition.get_legal_basis_display(),
            "model_version": definition.model_version.version if definition.model_version else "",
            "sensitive_features": definition.sensitive_features,
            "runs": [
                {
                    "run_id": r.pk,
                    "slot": iso(r.slot),
                    "status": r.status,
                    "verdict": r.verdict,
                    "rows": r.row_count,
                    "input_sha256": r.input_sha256,
                    "error": r.error,
                }
                for r in own
            ],
            "charts": [],
            "latest": None,
        }
        for run in completed[-CHART_RUNS_PER_DEFINITION:]:
            verdicts = [row for row in _verdict_rows(run) if row[6] in ("fail", "warn")]
            section["latest"] = {
                "run_id": run.pk,
                "slot": iso(run.slot),
                "verdict": run.verdict,
                "groups": [row[2:] for row in _group_rows(run)],
                "flagged": [
                    {"metric": v[2], "group": v[4], "value": v[5], "verdict": v[6], "basis": v[11]} for v in verdicts
                ],
            }
            for index, analysis in enumerate(run.analyses):
                metric = _chart_metric(definition, analysis)
                if metric is None:
                    continue
                base = f"charts/run-{run.pk}-{index + 1}-{metric}"
                png = render_chart(charts.group_bars, analysis, metric, fmt="png")
                files[f"{base}.png"] = png
                files[f"{base}.svg"] = render_chart(charts.group_bars, analysis, metric, fmt="svg")
                chart_png[f"{base}.png"] = png
                section["charts"].append(f"{base}.png")
        if len(completed) > 1:
            points = [(r.slot, run_metric_value(r.result, "min_impact_ratio"), r.verdict) for r in completed]
            base = f"charts/trend-{definition.pk}"
            png = render_chart(charts.trend, points, "min_impact_ratio", fmt="png")
            files[f"{base}.png"] = png
            files[f"{base}.svg"] = render_chart(charts.trend, points, "min_impact_ratio", fmt="svg")
            chart_png[f"{base}.png"] = png
            section["charts"].append(f"{base}.png")
        sections.append(section)
    return sections


def _findings(findings: list[Finding]) -> bytes:
    return csv_bytes(
        ["finding_id", "created_at", "kind", "status", "title", "description", "obligation", "run_id", "resolved_at"],
        [
            [f.pk, f.created_at, f.kind, f.status, f.title, f.description, f.obligation, f.run_id, f.resolved_at]
            for f in findings
        ],
    )


def vendor_matches(system_vendor: str, service_vendor: str) -> bool:
    """A catalogue vendor ("OpenAI") matches a registry vendor text ("OpenAI (via Azure OpenAI)") either way."""
    a, b = system_vendor.casefold().strip(), service_vendor.casefold().strip()
    if len(a) < 3 or len(b) < 3:
        return False
    return bool(re.search(rf"\b{re.escape(b)}\b", a) or re.search(rf"\b{re.escape(a)}\b", b))


def shadow_ai_usage(system: AISystem, period: Period | None, created_at: datetime) -> tuple[list[dict[str, Any]], str]:
    """Aggregated discovery usage of the services of the system's vendor, and a note on what was (not) searched.

    Pseudonymous and aggregated per service, department and policy: no user keys leave the service in a pack.
    """
    if not system.vendor:
        return [], "The system has no vendor recorded, so no shadow-AI usage could be matched."
    services = [s for s in discovery.ai_service_list().order_by("slug") if vendor_matches(system.vendor, s.vendor)]
    if not services:
        return [], f"No catalogued AI service of vendor {system.vendor!r}."
    rows: list[dict[str, Any]] = []
    for service in services:
        grouped = discovery.usage_by_department_policy(
            service=service.slug,
            day_from=period.start if period else None,
            day_to=min(period.end, created_at.date()) if period else created_at.date(),
        )
        for item in grouped:
            rows.append(
                {
                    "service": service.slug,
                    "service_name": service.name,
                    "vendor": service.vendor,
                    "service_policy": service.policy,
                    "department": item["department"],
                    "policy_status": item["policy_status"],
                    "requests": item["requests"],
                    "upload_requests": item["upload_requests"],
                    "bytes_up": item["bytes_up"],
                    "bytes_down": item["bytes_down"],
                    "first_seen": iso(item["first_seen"]),
                    "last_seen": iso(item["last_seen"]),
                    "users": item["users"],
                }
            )
    names = ", ".join(s.name for s in services)
    return rows, f"Usage of {names} ({system.vendor}) seen in proxy and network logs."


def _history_rows(model: type[Model], qs: QuerySet[Any], created_at: datetime, period: Period | None) -> list[dict]:
    records = list(_in_period(qs, "history_date", period, created_at).select_related("history_user"))
    records.sort(key=lambda h: (h.history_date, h.history_id))
    rows = []
    for record in records:
        changes: dict[str, Any] = {}
        previous = record.prev_record
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            changes = {c.field: {"old": _jsonable(c.old), "new": _jsonable(c.new)} for c in delta.changes}
        rows.append(
            {
                "time": iso(record.history_date),
                "source": "history",
                "event": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                "object": f"{model._meta.label}:{record.id}",
                "object_repr": str(record.instance)[:200] if record.history_type != "-" else "",
                "actor": _user(record.history_user),
                "reason": record.history_change_reason or "",
                "details": changes,
            }
        )
    return rows


def audit_trail(
    *,
    system: AISystem,
    created_at: datetime,
    period: Period | None,
    definitions: list[AuditDefinition],
    runs: list[AuditRun],
    findings: list[Finding],
    extra_targets: Sequence[Model] = (),
) -> list[dict[str, Any]]:
    """Audit-log events and row-change history of the system and everything attached to it, oldest first."""
    obligation_ids = list(obligation_list().filter(system=system).values_list("pk", flat=True))
    versions = model_version_list().filter(system=system)
    records = classification_record_list().filter(system=system)
    targets: list[tuple[type[Model], list[Any]]] = [
        (ai_system_list().model, [system.pk]),
        (obligation_list().model, obligation_ids),
        (versions.model, list(versions.values_list("pk", flat=True))),
        (records.model, list(records.values_list("pk", flat=True))),
        (audit_definition_list().model, [d.pk for d in definitions]),
        (audit_run_list().model, [r.pk for r in runs]),
        (finding_list().model, [f.pk for f in findings]),
    ]
    for target in extra_targets:
        targets.append((type(target), [target.pk]))
    condition = Q(pk__in=[])
    for model, ids in targets:
        if ids:
            condition |= Q(
                target_content_type__app_label=model._meta.app_label,
                target_content_type__model=model._meta.model_name,
                target_object_id__in=[str(i) for i in ids],
            )
    entries = list(_in_period(audit_log_list().filter(condition), "event_time", period, created_at))
    entries.sort(key=lambda e: (e.event_time, e.pk))
    rows = [
        {
            "time": iso(e.event_time),
            "source": "audit_log",
            "event": e.event_type,
            "object": f"{e.target_content_type.app_label}.{e.target_content_type.model}:{e.target_object_id}"
            if e.target_content_type
            else "",
            "object_repr": e.target_repr,
            "actor": e.acting_username or _user(e.acting_user),
            "reason": e.reason,
            "details": e.extra_data,
        }
        for e in entries
    ]
    history_sources = [
        *ai_system_history(system=system),
        *audit_history(definition_ids=[d.pk for d in definitions], finding_ids=[f.pk for f in findings]),
    ]
    for model, qs in history_sources:
        rows.extend(_history_rows(model, qs, created_at, period))
    rows.sort(key=lambda r: (r["time"], r["source"], r["object"], r["event"]))
    return rows


TRAIL_COLUMNS = ("time", "source", "event", "object", "object_repr", "actor", "reason", "details")


def evidence_collect(
    *,
    system: AISystem,
    created_at: datetime,
    pack_id: str,
    generator_version: str,
    period: Period | None = None,
    run: AuditRun | None = None,
) -> CollectedEvidence:
    """Collect the pack content for ``system`` (and ``period``), or for one audit ``run`` of it."""
    files: dict[str, bytes] = {}
    chart_png: dict[str, bytes] = {}
    card = system_card(system, created_at)
    files["data/system.json"] = json_bytes(card)
    classification, classification_table = _classification(system, created_at)
    files["data/classifications.csv"] = classification_table
    if classification is not None:
        files["data/classification.json"] = json_bytes(classification)
    obligations = _obligations(system, created_at)
    files["data/obligations.json"] = json_bytes(obligations)
    files["data/obligations.csv"] = csv_bytes(
        ["obligation_id", "article", "duty", "status", "owner", "due_date", "applies_from", "is_current", "evidence"],
        [
            [
                o["obligation_id"],
                o["article"],
                o["duty"],
                o["status"],
                o["owner"],
                o["due_date"],
                o["applies_from"],
                o["is_current"],
                "; ".join(e["description"] or e["url"] or e["file"] for e in o["evidence"]),
            ]
            for o in obligations
        ],
    )

    if run is not None:
        definitions = [run.definition]
        runs = [run]
        findings = list(finding_list().filter(run=run, created_at__lte=created_at).order_by("created_at", "id"))
    else:
        definitions = list(
            audit_definition_list().filter(ai_system=system, created_at__lte=created_at).order_by("name", "id")
        )
        runs = list(
            _in_period(audit_run_list().filter(definition__ai_system=system), "slot", period, created_at)
            .filter(created_at__lte=created_at)
            .order_by("slot", "id")
        )
        findings = list(
            _in_period(finding_list().filter(ai_system=system), "created_at", period, created_at).order_by(
                "created_at", "id"
            )
        )
    audit_sections = _audits(files, chart_png, runs, definitions)
    files["data/findings.csv"] = _findings(findings)

    shadow, shadow_note = shadow_ai_usage(system, period, created_at)
    files["data/shadow_ai.json"] = json_bytes({"note": shadow_note, "usage": shadow})
    shadow_columns = [
        "service",
        "service_name",
        "vendor",
        "service_policy",
        "department",
        "policy_status",
        "users",
        "requests",
        "upload_requests",
        "bytes_up",
        "bytes_down",
        "first_seen",
        "last_seen",
    ]
    files["data/shadow_ai.csv"] = csv_bytes(shadow_columns, [[row[c] for c in shadow_columns] for row in shadow])

    trail = audit_trail(
        system=system, created_at=created_at, period=period, definitions=definitions, runs=runs, findings=findings
    )
    files["audit_trail.json"] = json_bytes(trail)
    files["audit_trail.csv"] = csv_bytes(TRAIL_COLUMNS, [[row[c] for c in TRAIL_COLUMNS] for row in trail])

    law_version = classification["law_version"] if classification else "not classified"
    subject: dict[str, Any] = {"type": "ai_system", "ai_system_id": system.pk, "ai_system": card["name"]}
    if run is not None:
        subject = {**subject, "type": "audit_run", "audit_run_id": run.pk, "audit": run.definition.name}
    metadata = {
        "pack_id": pack_id,
        "subject": subject,
        "period": period.as_dict() if period else None,
        "generator_version": generator_version,
        "law_version": law_version,
        "risk_class": card["risk_class"],
        "contents": CONTENTS,
    }
    report = {
        "pack_id": pack_id,
        "created_at": iso(created_at),
        "generator_version": generator_version,
        "subject": subject,
        "period": metadata["period"],
        "system": card,
        "classification": classification,
        "obligations": obligations,
        "audits": audit_sections,
        "findings": [
            {"created_at": iso(f.created_at), "kind": f.kind, "status": f.status, "title": f.title} for f in findings
        ],
        "shadow_ai": {"note": shadow_note, "usage": shadow},
        # the system's own changes and events, in time order (the trail is already sorted)
        "history": [row for row in trail if row["object"].casefold() == f"governance.aisystem:{system.pk}"],
        "trail_count": len(trail),
    }
    return CollectedEvidence(files=files, metadata=metadata, report=report, chart_png=chart_png)


#: what each part of the pack is evidence of (EU AI Act articles; NYC LL144 for bias audits)
CONTENTS = {
    "report.pdf": "Human-readable summary of everything below (derived, non-authoritative).",
    "data/system.json": "AI system inventory entry and model versions (Art. 11, Annex IV 1; ISO/IEC 42001 6.1.4).",
    "data/classification.json": "Risk classification with rationale, facts and law version (Art. 5, 6, 50).",
    "data/classifications.csv": "Every classification record up to the pack time.",
    "data/obligations.csv": "Obligations checklist: status, owner, due date, evidence (Art. 9-17, 26, 27).",
    "data/audit_runs.csv": "Fairness audit runs with input hashes (Art. 10(2)(f)-(g); NYC LL144).",
    "data/audit_groups.csv": "Per-group counts, metrics and impact ratios (6 RCNY 5-301).",
    "data/audit_verdicts.csv": "Every judged metric with threshold and verdict.",
    "data/audit_results": "Stored audit results, unchanged.",
    "data/findings.csv": "Audit findings and their resolution.",
    "data/shadow_ai.csv": "Aggregated, pseudonymous shadow-AI usage of the vendor's services (Art. 26(5)).",
    "charts": "Charts of the audit results (PNG used in the report, SVG for fidelity).",
    "audit_trail.csv": "Audit-log events and change history (Art. 12, 17(1)(k), 19, 26(6)).",
}
