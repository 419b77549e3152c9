"""Every channel renders a fairness-audit finding's message, against the same real local receivers as alerts: a
distinct CEF signature and syslog MSGID, Slack/Teams with title, system, metric verdicts and links to the run and the
finding, JSON bodies with ``kind``, e-mail."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alerts.payloads import AlertPayload
from audits.payloads import AuditFindingPayload
from notifications.notifiers import notifier_for
from notifications.notifiers.syslog_cef import MSG_LIMIT, cef_line
from notifications.notifiers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.notifications.receivers import HTTPReceiver, SyslogTCPListener, SyslogUDPListener, parse_cef, parse_rfc5424


def test_payload_survives_the_delivery_snapshot(finding_payload: AuditFindingPayload) -> None:
    # when
    data = finding_payload.to_dict()
    # then
    assert data["kind"] == "audit_finding"
    assert data["severity_score"] == 8
    assert data["metrics"][0] == {
        "analysis": "sex",
        "metric": "impact_ratio",
        "verdict": "fail",
        "value": 0.6234,
        "group": "F",
        "control": "",
        "fail": 0.8,
        "higher_is_better": True,
    }
    assert AuditFindingPayload.from_dict(data) == finding_payload


def test_metric_verdict_line_reads_for_people(finding_payload: AuditFindingPayload) -> None:
    lines = [m.line() for m in finding_payload.metrics]
    assert lines == [
        "impact_ratio F (sex) = 0.623: fail (threshold < 0.8)",
        "demographic_parity_difference (sex) = 0.071: warn (threshold > 0.1)",
    ]


def test_webhook_body_has_kind_audit_finding_and_is_signed(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload
) -> None:
    # when
    notifier_for("webhook", {"url": http_receiver.url, "secret": "s3cret"}).send(finding_payload.to_message())
    # then
    (request,) = http_receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER.lower()]
    assert verify("s3cret", timestamp, request.body, request.headers[SIGNATURE_HEADER.lower()])
    body = request.json()
    assert body["kind"] == "audit_finding"
    assert body["@timestamp"] == "2026-03-01T06:02:30+00:00"
    assert body["event"]["id"] == "audits.run.41.1"
    assert body["event"]["url"] == finding_payload.link
    assert body["event"]["dataset"] == "aigov.audit_finding"
    assert body["rule"] == {"id": "audit.failing", "name": "Audit verdict is failing"}
    assert body["aigov"]["system_name"] == "Hiring <assistant> & ranker"
    assert body["aigov"]["obligation"] == "Art. 10 (art-10)"
    assert [m["metric"] for m in body["aigov"]["metrics"]] == ["impact_ratio", "demographic_parity_difference"]
    assert "user" not in body  # nothing personal in a finding
    assert body["event"]["outcome"] == "failure"
    assert body["event"]["action"] == "failing"
    assert body["event"]["start"] == "2026-03-01T06:00:00+00:00"  # the run's slot
    assert body["message"] == finding_payload.summary


def test_alert_json_now_says_its_kind(http_receiver: HTTPReceiver, payload: AlertPayload) -> None:
    notifier_for("webhook", {"url": http_receiver.url, "secret": "k"}).send(payload.to_message())
    body = http_receiver.requests[0].json()
    assert (body["kind"], body["aigov"]["kind"]) == ("shadow_ai_alert", "shadow_ai_alert")


def test_splunk_hec_event_and_indexed_fields_carry_the_kind(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload
) -> None:
    # when
    notifier_for("splunk_hec", {"url": http_receiver.url, "token": "tok", "index": "grc"}).send(
        finding_payload.to_message()
    )
    # then
    request = http_receiver.requests[0]
    assert request.headers["authorization"] == "Splunk tok"
    body = request.json()
    assert body["index"] == "grc"
    assert body["time"] == pytest.approx(finding_payload.occurred_at.timestamp())
    assert body["fields"] == {
        "kind": "audit_finding",
        "rule_id": "audit.failing",
        "severity": "high",
        "finding_id": 7,
        "ai_system_id": 3,
        "audit_run_id": 41,
    }
    assert body["event"]["kind"] == "audit_finding"
    assert body["event"]["aigov"]["run_id"] == 41


def test_slack_blocks_have_title_system_verdicts_and_a_link_to_the_run(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload
) -> None:
    # when
    notifier_for("slack", {"url": http_receiver.url}).send(finding_payload.to_message())
    # then
    body = http_receiver.requests[0].json()
    assert body["text"] == f"[HIGH] {finding_payload.title} - {finding_payload.summary}"
    header, summary, facts, verdicts, actions = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": f"[HIGH] {finding_payload.title}"}}
    assert summary["text"]["text"] == "Failing values:\nimpact_ratio F = 0.62"
    texts = {f["text"].partition("\n")[0]: f["text"].partition("\n")[2] for f in facts["fields"]}
    assert texts["*AI system*"] == "Hiring &lt;assistant&gt; &amp; ranker (#3)"  # mrkdwn-escaped
    assert texts["*Verdict*"] == "fail"
    assert texts["*Obligation*"] == "Art. 10 (art-10)"
    assert texts["*Model version*"] == "not recorded"
    assert verdicts["text"]["text"].splitlines() == [
        "• impact_ratio F (sex) = 0.623: fail (threshold &lt; 0.8)",
        "• demographic_parity_difference (sex) = 0.071: warn (threshold &gt; 0.1)",
    ]
    assert [(b["text"]["text"], b["url"]) for b in actions["elements"]] == [
        ("Open the run in AIGov", finding_payload.link),
        ("Open the finding", finding_payload.finding_link),
    ]


def test_slack_for_a_run_that_could_not_run_shows_the_error(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload
) -> None:
    # given: the audits app puts the error in the summary too; an error it does not repeat becomes a line
    error = AuditFindingPayload.from_dict(
        {
            **finding_payload.to_dict(),
            "finding_kind": "run_error",
            "severity": "medium",
            "verdict": "",
            "metrics": [],
            "error": "Missing columns in the input: ['y_pred']",
        }
    )
    # when
    notifier_for("slack", {"url": http_receiver.url}).send(error.to_message())
    # then
    blocks = http_receiver.requests[0].json()["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "actions"]
    assert "*Verdict*\ncould not run" in [f["text"] for f in blocks[2]["fields"]]
    assert blocks[3]["text"]["text"] == "• Error: Missing columns in the input: ['y_pred']"


def test_run_error_said_by_the_summary_is_not_repeated(finding_payload: AuditFindingPayload) -> None:
    # given
    error = "Missing columns in the input: ['y_pred']"
    data = {**finding_payload.to_dict(), "verdict": "", "metrics": [], "error": error, "summary": error}
    # when
    message = AuditFindingPayload.from_dict(data).to_message()
    # then
    assert (message.summary, message.lines) == (error, ())


def test_teams_card_lists_facts_verdicts_and_opens_the_run(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload
) -> None:
    # when
    notifier_for("teams", {"url": http_receiver.url}).send(finding_payload.to_message())
    # then
    card = http_receiver.requests[0].json()["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == f"[HIGH] {finding_payload.title}"
    assert card["body"][0]["color"] == "Attention"
    assert card["body"][1]["text"] == finding_payload.summary
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["AI system"] == "Hiring <assistant> & ranker (#3)"
    assert facts["Finding"] == "Audit verdict is failing"
    assert facts["Verdict"] == "fail"
    assert facts["Obligation"] == "Art. 10 (art-10)"
    assert facts["Run"] == "#41, slot 2026-03-01 06:00 UTC"
    assert card["body"][3]["text"].splitlines() == [f"- {m.line()}" for m in finding_payload.metrics]
    assert [a["url"] for a in card["actions"]] == [finding_payload.link, finding_payload.finding_link]


def test_email_subject_and_body(mailoutbox: list[Any], finding_payload: AuditFindingPayload) -> None:
    # when
    notifier_for("email", {"to": ["grc@example.com"]}).send(finding_payload.to_message())
    # then
    (message,) = mailoutbox
    assert message.subject == f"[AIGov HIGH] {finding_payload.title}"
    assert "AI system:       Hiring <assistant> & ranker (#3)" in message.body
    assert "Obligation:      Art. 10 (art-10)" in message.body
    assert "  - impact_ratio F (sex) = 0.623: fail (threshold < 0.8)" in message.body
    assert "Model version:   not recorded" in message.body
    assert f"Open the run in AIGov: {finding_payload.link}" in message.body
    assert f"Open the finding: {finding_payload.finding_link}" in message.body
    assert "pseudonym" not in message.body


def _assert_finding_cef(frame: bytes, payload: AuditFindingPayload) -> None:
    syslog = parse_rfc5424(frame)
    assert syslog["pri"] == 13 * 8 + 3  # log audit, error (high)
    assert syslog["msgid"] == "fairness-audit"
    assert syslog["timestamp"] == "2026-03-01T06:02:30.000Z"
    header, ext = parse_cef(syslog["msg"])
    assert header == ["0", "AIGov", "AIGov", "1.0", "audit.failing", "Audit verdict is failing", "8"]
    assert ext["cat"] == "fairness-audit"
    assert ext["act"] == "failing"
    assert ext["externalId"] == "audits.run.41.1"
    assert ext["outcome"] == "failure"
    assert ext["request"] == payload.link
    assert ext["start"] == str(int(payload.run_slot.timestamp() * 1000))
    assert ext["cs1Label"] == "auditId" and ext["cs1"] == "5"
    assert ext["cs2Label"] == "findingId" and ext["cs2"] == "7"
    assert ext["cs3"] == "Hiring <assistant> & ranker"
    assert ext["cs4"] == payload.link
    assert ext["cs5"] == "fail"
    assert ext["cs6"] == "EU AI Act Art. 10(2)(f)-(g)"
    assert ext["cn1Label"] == "auditRunId" and ext["cn1"] == "41"
    assert ext["cn2Label"] == "aiSystemId" and ext["cn2"] == "3"
    assert ext["msg"] == payload.summary
    assert ext["rt"] == str(int(payload.occurred_at.timestamp() * 1000))
    assert "suser" not in ext


def test_syslog_cef_over_udp_has_a_distinct_signature(
    udp_listener: SyslogUDPListener, finding_payload: AuditFindingPayload
) -> None:
    notifier_for("syslog_cef", {"host": "127.0.0.1", "port": udp_listener.port}).send(finding_payload.to_message())
    _assert_finding_cef(udp_listener.receive(), finding_payload)


def test_syslog_cef_over_tcp(tcp_listener: SyslogTCPListener, finding_payload: AuditFindingPayload) -> None:
    # when
    notifier_for("syslog_cef", {"host": "127.0.0.1", "port": tcp_listener.port, "protocol": "tcp"}).send(
        finding_payload.to_message()
    )
    # then
    deadline = time.time() + 5
    while not tcp_listener.messages and time.time() < deadline:
        time.sleep(0.02)
    _assert_finding_cef(tcp_listener.messages[0], finding_payload)


def test_cef_for_a_run_error_carries_the_error_and_is_bounded(finding_payload: AuditFindingPayload) -> None:
    # given
    data = {
        **finding_payload.to_dict(),
        "finding_kind": "run_error",
        "finding_kind_label": "Audit run could not complete",
        "severity": "medium",
        "verdict": "",
        "metrics": [],
        "error": "HTTP 404 | x=y\n" * 200,
        "summary": "HTTP 404 | x=y\n" * 200,  # the audits app's summary of a run error is the error
    }
    # when
    header, ext = parse_cef(cef_line(AuditFindingPayload.from_dict(data).to_message()))
    # then
    assert header[4:] == ["audit.run_error", "Audit run could not complete", "5"]
    assert ext["cs5"] == "error"
    assert ext["msg"].startswith("HTTP 404 | x=y\nHTTP 404")
    assert len(ext["msg"]) == MSG_LIMIT and ext["msg"].endswith("...")
