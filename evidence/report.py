"""The human-readable ``report.pdf`` of an evidence pack, drawn with ReportLab Platypus from collected data.

The PDF is derived and non-authoritative: the CSV/JSON files and the signed manifest are the evidence. It is
rendered with ``invariant=1`` (a fixed document id) and dated with the pack's creation time, so the same data gives
the same bytes; every page says "page x of y".
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

MAX_TABLE_ROWS = 60  # longer tables are cut in the PDF; the CSV files hold every row
MAX_HISTORY_ROWS = 80
MAX_CELL_CHARS = 400  # a table cell must fit on one page; long values (facts diffs) are in the data files
VERDICT_COLOURS = {
    "pass": colors.HexColor("#2e7d32"),
    "warn": colors.HexColor("#f9a825"),
    "fail": colors.HexColor("#c62828"),
}

_styles = getSampleStyleSheet()
H1 = _styles["Heading1"]
H2 = _styles["Heading2"]
H3 = _styles["Heading3"]
BODY = _styles["BodyText"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9)
MONO = ParagraphStyle("mono", parent=SMALL, fontName="Courier")


def _escape(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(value: Any, style: ParagraphStyle = SMALL) -> Paragraph:
    return Paragraph(_escape(value), style)


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 3] + "..."


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None) -> Table:
    shown = list(rows[:MAX_TABLE_ROWS])
    data: list[list[Any]] = [[_p(h) for h in header]]
    data += [[_p(_cut(_fmt(v))) for v in row] for row in shown]
    if len(rows) > MAX_TABLE_ROWS:
        data.append([_p(f"... {len(rows) - MAX_TABLE_ROWS} more rows in the data files")] + [""] * (len(header) - 1))
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _key_values(pairs: Sequence[tuple[str, Any]]) -> Table:
    table = Table([[_p(k), _p(_fmt(v))] for k, v in pairs], colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _verdict(value: str | None) -> Paragraph:
    colour = VERDICT_COLOURS.get(value or "")
    label = (value or "no verdict").upper()
    if colour is None:
        return _p(label, BODY)
    return Paragraph(f'<font color="{colour.hexval()}"><b>{_escape(label)}</b></font>', BODY)


def _system(report: Mapping[str, Any]) -> list[Flowable]:
    card = report["system"]
    story: list[Flowable] = [Paragraph("1. System card", H2)]
    story.append(
        _key_values(
            [
                ("Name", card["name"]),
                ("Purpose", card["purpose"]),
                ("Business unit / owner", f"{card['business_unit']} / {card['business_owner']}"),
                ("Technical owner", card["technical_owner"]),
                ("Lifecycle stage", card["lifecycle_stage"]),
                ("Vendor / sourcing", f"{card['vendor'] or '-'} / {card['sourcing']}"),
                ("Deployment / data location", f"{card['deployment']} / {card['data_location'] or '-'}"),
                ("Personal data", card["personal_data_categories"]),
                ("Affected persons", card["affected_persons"]),
                ("Operator roles", card["roles"]),
                ("Risk class", card["risk_class"] or "not classified"),
            ]
        )
    )
    if card["model_versions"]:
        story += [Spacer(1, 3 * mm), Paragraph("Model versions", H3)]
        story.append(
            _table(
                ["Version", "Released", "Base model", "Artifact"],
                [[v["version"], v["release_date"], v["base_model"], v["artifact_uri"]] for v in card["model_versions"]],
            )
        )
    return story


def _classification(report: Mapping[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("2. EU AI Act classification", H2)]
    record = report["classification"]
    if record is None:
        return [*story, _p("The system had not been classified at the time of this pack.", BODY)]
    result = record["result"]
    story.append(
        _key_values(
            [
                ("Risk class", record["risk_class"]),
                (
                    "Status",
                    "complete"
                    if result.get("status", "complete") == "complete"
                    else f"incomplete: {result.get('summary', '')}",
                ),
                ("Law version", record["law_version"]),
                ("As of", record["as_of"]),
                ("Classified at / by", f"{record['created_at']} / {record['created_by'] or '-'}"),
                ("High-risk routes", result.get("high_risk_routes")),
                ("Prohibited practices", result.get("prohibited_practices")),
                ("Transparency duties", result.get("transparency_duties")),
                ("Effective roles", result.get("effective_roles")),
                ("FRIA required", result.get("fria_required")),
                ("Notes", result.get("notes")),
            ]
        )
    )
    story += [Spacer(1, 3 * mm), Paragraph("Rationale", H3)]
    story.append(
        _table(
            ["Provision", "Outcome", "Reason", "Facts"],
            [[s["provision"], s["outcome"], s["reason"], s.get("facts")] for s in result.get("rationale", [])],
            widths=[28 * mm, 22 * mm, 85 * mm, 35 * mm],
        )
    )
    questions = result.get("open_questions") or []
    if questions:
        story += [Spacer(1, 3 * mm), Paragraph("Open questions (unanswered; each would change the result)", H3)]
        story.append(
            _table(
                ["Question", "If answered", "Class", "Obligations"],
                [
                    [
                        f"{q['title']} ({q['question']})",
                        q["answer"],
                        q["risk_class"],
                        ", ".join(
                            [f"+{o}" for o in q["obligations_added"]] + [f"-{o}" for o in q["obligations_removed"]]
                        )
                        or "dates",
                    ]
                    for q in questions
                ],
                widths=[70 * mm, 40 * mm, 22 * mm, 38 * mm],
            )
        )
    return story


def _obligations(report: Mapping[str, Any]) -> list[Flowable]:
    obligations = [o for o in report["obligations"] if o["is_current"]]
    story: list[Flowable] = [Paragraph("3. Obligations, status and evidence", H2)]
    if not obligations:
        return [*story, _p("No current obligations.", BODY)]
    rows = [
        [
            o["article"],
            o["duty"],
            o["status"],
            o["owner"],
            o["due_date"],
            "; ".join(e["description"] or e["url"] or e["file"] for e in o["evidence"]) or "none",
        ]
        for o in obligations
    ]
    story.append(
        _table(
            ["Article", "Duty", "Status", "Owner", "Due", "Evidence"],
            rows,
            widths=[20 * mm, 68 * mm, 18 * mm, 18 * mm, 18 * mm, 28 * mm],
        )
    )
    return story


def _audits(report: Mapping[str, Any], chart_png: Mapping[str, bytes]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("4. Fairness audits", H2)]
    if not report["audits"]:
        return [*story, _p("No fairness audit ran for this system in the pack's scope.", BODY)]
    for section in report["audits"]:
        story.append(Paragraph(_escape(f"{section['definition']} ({section['legal_basis']})"), H3))
        story.append(_p(f"Sensitive features: {_fmt(section['sensitive_features'])}; model {section['model_version']}"))
        story.append(
            _table(
                ["Run", "Slot", "Status", "Verdict", "Rows", "Input SHA-256"],
                [
                    [r["run_id"], r["slot"], r["status"], r["verdict"] or r["error"][:80], r["rows"], r["input_sha256"]]
                    for r in section["runs"]
                ],
                widths=[12 * mm, 36 * mm, 20 * mm, 30 * mm, 16 * mm, 56 * mm],
            )
        )
        latest = section["latest"]
        if latest is not None:
            story += [Spacer(1, 2 * mm), _p(f"Latest completed run {latest['run_id']} ({latest['slot']}): verdict")]
            story.append(_verdict(latest["verdict"]))
            story.append(
                _table(
                    [
                        "Features",
                        "Control",
                        "Group",
                        "n",
                        "Share",
                        "Eligible",
                        "Ref.",
                        "Impact ratio",
                        "CI low",
                        "CI high",
                        "p",
                        "Verdict",
                    ],
                    [g[:12] for g in latest["groups"]],
                )
            )
            if latest["flagged"]:
                story += [Spacer(1, 2 * mm), _p("Flagged metrics (warn or fail):")]
                story.append(
                    _table(
                        ["Metric", "Group", "Value", "Verdict", "Basis"],
                        [[f["metric"], f["group"], f["value"], f["verdict"], f["basis"]] for f in latest["flagged"]],
                    )
                )
        for name in section["charts"]:
            png = chart_png.get(name)
            if png is None:
                continue
            image = Image(io.BytesIO(png))
            scale = min(1.0, (170 * mm) / image.drawWidth)
            image.drawWidth *= scale
            image.drawHeight *= scale
            story += [Spacer(1, 2 * mm), image, _p(name, MONO)]
        story.append(Spacer(1, 4 * mm))
    if report["findings"]:
        story.append(Paragraph("Findings", H3))
        story.append(
            _table(
                ["Opened", "Kind", "Status", "Title"],
                [[f["created_at"], f["kind"], f["status"], f["title"]] for f in report["findings"]],
            )
        )
    return story


def _shadow_ai(report: Mapping[str, Any]) -> list[Flowable]:
    shadow = report["shadow_ai"]
    story: list[Flowable] = [Paragraph("5. Shadow-AI usage of the vendor's services", H2), _p(shadow["note"], BODY)]
    if shadow["usage"]:
        story.append(
            _table(
                ["Service", "Department", "Policy", "Users", "Requests", "Uploads", "First seen", "Last seen"],
                [
                    [
                        u["service_name"],
                        u["department"],
                        u["policy_status"],
                        u["users"],
                        u["requests"],
                        u["upload_requests"],
                        u["first_seen"],
                        u["last_seen"],
                    ]
                    for u in shadow["usage"]
                ],
            )
        )
    else:
        story.append(_p("No usage recorded in the pack's scope.", BODY))
    return story


def _history(report: Mapping[str, Any]) -> list[Flowable]:
    rows = report["history"][-MAX_HISTORY_ROWS:]
    story: list[Flowable] = [
        Paragraph("6. Change history of the system", H2),
        _p(f"{report['trail_count']} audit-trail rows in audit_trail.csv; the system's own changes:", BODY),
    ]
    story.append(
        _table(
            ["Time", "Event", "Actor", "Reason", "Details"],
            [[r["time"], r["event"], r["actor"], r["reason"], r["details"]] for r in rows],
            widths=[34 * mm, 24 * mm, 18 * mm, 40 * mm, 54 * mm],
        )
    )
    return story


def _pdf_time(created_at: str) -> TimeStamp:
    """A ReportLab time stamp of the pack's creation time (ISO 8601, UTC), for the PDF's CreationDate and ModDate:
    the document's date is the pack's, and still the same for the same pack (``invariant`` would say 2000-01-01)."""
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(UTC)
    stamp = TimeStamp(invariant=1)
    stamp.t = moment.timestamp()
    stamp.lt = moment.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    return stamp


def _numbered_canvas(title: str, created_at: str) -> type[Canvas]:
    """A canvas class that dates the PDF with the pack's creation time and, once every page is laid out, writes
    "page x of y" with the pack id in each page's footer (the pages are kept until ``save`` knows their count)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _pdf_time(created_at)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.saveState()
                self.setFont("Helvetica", 7)
                self.drawString(15 * mm, 10 * mm, f"Evidence pack {title}")
                self.drawRightString(A4[0] - 15 * mm, 10 * mm, f"page {self._pageNumber} of {total}")
                self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


def render_report(report: Mapping[str, Any], chart_png: Mapping[str, bytes]) -> bytes:
    """Render the report PDF (deterministic: same data, same bytes)."""
    buffer = io.BytesIO()
    subject = report["subject"]
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        invariant=1,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=str(report["pack_id"]),
        author="aigov evidence packs",
        subject=f"Evidence for {subject['ai_system']}",
        creator=str(report["generator_version"]),
    )
    period = report["period"]
    scope = f"period {period['start']} to {period['end']}" if period else "everything up to the pack time"
    if subject["type"] == "audit_run":
        scope = f"audit run {subject['audit_run_id']} ({subject['audit']})"
    story: list[Flowable] = [
        Paragraph(_escape(f"Evidence pack: {subject['ai_system']}"), H1),
        _key_values(
            [
                ("Pack id", report["pack_id"]),
                ("Created at (UTC)", report["created_at"]),
                ("Scope", scope),
                ("Generator", report["generator_version"]),
            ]
        ),
        Spacer(1, 3 * mm),
        _p(
            "This report is a readable summary. The evidence is the data files next to it, listed with their "
            "SHA-256 in manifest.json, which is signed (manifest.sig). VERIFY.txt explains how to check them "
            "offline with openssl and sha256sum.",
            BODY,
        ),
        Spacer(1, 4 * mm),
    ]
    story += _system(report)
    story += _classification(report)
    story += _obligations(report)
    story.append(PageBreak())
    story += _audits(report, chart_png)
    story += _shadow_ai(report)
    story += _history(report)
    doc.build(story, canvasmaker=_numbered_canvas(str(report["pack_id"]), str(report["created_at"])))
    return buffer.getvalue()
