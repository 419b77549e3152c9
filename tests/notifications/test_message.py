"""The Message every notifier renders: its JSON snapshot round-trips exactly, every channel renders a minimal and a
rich one (for topics the notifiers have never heard of) against a real local receiver, and no notifier module knows
the topics' payload types."""

from __future__ import annotations

import ast
import inspect
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.payloads import AlertPayload
from audits.payloads import AuditFindingPayload
from notifications.notifiers import NOTIFIERS, Fact, Link, Message, notifier_for
from notifications.notifiers import message as message_module
from notifications.notifiers.email import MAX_LINES as EMAIL_MAX_LINES
from notifications.notifiers.email import email_body
from notifications.notifiers.slack import MAX_LINES as SLACK_MAX_LINES
from notifications.notifiers.slack import slack_message
from notifications.notifiers.teams import MAX_LINES as TEAMS_MAX_LINES
from notifications.notifiers.teams import adaptive_card
from tests.notifications.receivers import HTTPReceiver, SyslogUDPListener, parse_cef, parse_rfc5424

MINIMAL = Message(
    topic="evidence_pack_ready",
    event_id="evidence.pack.9",
    signature="evidence.pack_ready",
    name="Evidence pack ready",
    title="Evidence pack ready for Hiring assistant",
    severity="low",
    summary="",
    occurred_at=datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
    link="",
)

RICH = Message(
    topic="obligation_reminder",
    event_id="governance.obligation.12.2026-04-01",
    signature="obligation.due",
    name="Obligation due",
    title="Art. 9 risk management review due in 7 days",
    severity="critical",
    summary="The risk management system of Hiring assistant must be reviewed before it is used again.",
    occurred_at=datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
    start=datetime(2026, 3, 25, 8, 0, tzinfo=UTC),
    link="http://testserver/admin/governance/obligation/12/change/",
    link_label="Open the obligation",
    links=(Link("Open the AI system", "http://testserver/admin/governance/aisystem/3/change/"),),
    facts=(
        Fact("AI system", "Hiring assistant (#3)", key="ai_system.name"),
        Fact("Obligation", "Art. 9 (art-9)", key="obligation.id"),
        Fact("Due", "2026-04-08"),
    ),
    lines=("Last review: 2025-04-08", "Owner: compliance office"),
    footer="Reminders repeat weekly until the obligation is met.",
    category="obligation",
    data={"obligation_id": 12, "due": "2026-04-08", "systems": [3], "owner": {"team": "compliance"}},
    ecs={"event": {"kind": "event", "category": ["configuration"]}, "organization": {"name": "ACME"}},
    cef=(("cs1Label", "obligationId"), ("cs1", "art-9"), ("cn1Label", "aiSystemId"), ("cn1", 3), ("cat", "grc")),
    refs={"obligation_id": 12, "ai_system_id": 3},
)


def _json_round_trip(message: Message) -> Message:
    return Message.from_dict(json.loads(json.dumps(message.to_dict())))


# --- the snapshot --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["minimal", "rich", "payload", "finding_payload"])
def test_to_dict_survives_json_and_reads_back_equal(name: str, request: pytest.FixtureRequest) -> None:
    # given
    message = {"minimal": MINIMAL, "rich": RICH}.get(name) or request.getfixturevalue(name).to_message()
    # when
    back = _json_round_trip(message)
    # then
    assert back == message
    assert back.to_dict() == message.to_dict()


_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
_json = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=8
)
_moments = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]),
)
_messages = st.builds(
    Message,
    topic=st.text(min_size=1),
    event_id=st.text(),
    signature=st.text(),
    name=st.text(),
    title=st.text(),
    severity=st.sampled_from(["low", "medium", "high", "critical"]),
    summary=st.text(),
    occurred_at=_moments,
    link=st.text(),
    facts=st.lists(st.builds(Fact, st.text(), st.text(), st.text()), max_size=4).map(tuple),
    lines=st.lists(st.text(), max_size=4).map(tuple),
    link_label=st.text(min_size=1),
    links=st.lists(st.builds(Link, st.text(), st.text()), max_size=2).map(tuple),
    footer=st.text(),
    category=st.text(),
    data=st.dictionaries(st.text(), _json, max_size=4),
    ecs=st.dictionaries(st.text(), _json, max_size=4),
    cef=st.lists(st.tuples(st.text(), _scalars), max_size=4).map(tuple),
    refs=st.dictionaries(st.text(), _scalars, max_size=3),
    start=st.none() | _moments,
)


@given(_messages)
def test_any_message_round_trips_through_json(message: Message) -> None:
    assert _json_round_trip(message) == message


def test_a_message_keeps_its_own_copies() -> None:
    # given
    data: dict[str, Any] = {"systems": [3]}
    message = replace(MINIMAL, data=data)
    # when
    data["systems"].append(4)
    data["new"] = 1
    # then
    assert message.data == {"systems": [3]}


def test_an_unknown_severity_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        replace(MINIMAL, severity="urgent")


# --- the ECS event -------------------------------------------------------------------------------------------------


def test_ecs_defaults_then_the_topics_fields_merged_in() -> None:
    # when
    ecs = RICH.to_ecs()
    # then
    assert ecs["@timestamp"] == "2026-04-01T08:00:00+00:00"
    assert ecs["kind"] == "obligation_reminder"
    assert ecs["event"] == {
        "kind": "event",  # the topic's override
        "category": ["configuration"],
        "type": ["info"],
        "dataset": "aigov.obligation_reminder",
        "severity": 10,
        "id": RICH.event_id,
        "url": RICH.link,
        "start": "2026-03-25T08:00:00+00:00",
        "end": "2026-04-01T08:00:00+00:00",
    }
    assert ecs["rule"] == {"id": "obligation.due", "name": "Obligation due"}
    assert ecs["organization"] == {"name": "ACME"}
    assert ecs["message"] == RICH.summary
    assert ecs["aigov"] == {**RICH.data, "kind": "obligation_reminder"}


def test_ecs_of_a_message_without_a_span_has_no_start_or_end() -> None:
    event = MINIMAL.to_ecs()["event"]
    assert "start" not in event and "end" not in event
    assert event["kind"] == "alert"


# --- the payloads' messages ----------------------------------------------------------------------------------------


def test_alert_message(payload: AlertPayload) -> None:
    # when
    message = payload.to_message()
    # then
    assert (message.topic, message.event_id, message.signature, message.name, message.category) == (
        "shadow_ai_alert",
        payload.alert_id,
        "shadow-ai.unsanctioned",
        payload.rule_name,
        "shadow-ai",
    )
    assert message.title == f"{payload.rule_name}: DeepSeek"
    assert (message.start, message.occurred_at) == (payload.first_seen, payload.last_seen)
    assert {f.key: f.value for f in message.facts} == {
        "rule.id": f"{payload.rule_name} (unsanctioned-use)",
        "user.id": "PSEUDO7XQ2ABCDEF",
        "url.domain": "DeepSeek (chat.deepseek.com)",
        "count": "42",
        "event.start": "2026-03-02 09:00 UTC",
        "event.end": "2026-03-02 17:30 UTC",
        "event.id": payload.alert_id,
    }
    assert message.refs == {"alert_id": payload.alert_id}
    assert message.data["fingerprint"] == payload.fingerprint and "kind" not in message.data


def test_organisation_wide_alert_says_so(payload: AlertPayload) -> None:
    message = replace(payload, subject="", subject_kind="org").to_message()
    assert message.facts[1] == Fact("User (pseudonym)", "organisation-wide", key="user.id")


def test_finding_message(finding_payload: AuditFindingPayload) -> None:
    # when
    message = finding_payload.to_message()
    # then
    assert (message.topic, message.signature, message.name, message.category) == (
        "audit_finding",
        "audit.failing",
        "Audit verdict is failing",
        "fairness-audit",
    )
    assert [f.label for f in message.facts] == [
        "Finding",
        "AI system",
        "Audit",
        "Model version",
        "Verdict",
        "Legal basis",
        "Obligation",
        "Run",
    ]
    assert message.lines == tuple(m.line() for m in finding_payload.metrics)
    assert (message.link, message.links) == (
        finding_payload.link,
        (Link("Open the finding", finding_payload.finding_link),),
    )
    assert message.refs == {"finding_id": 7, "ai_system_id": 3, "audit_run_id": 41}


# --- every channel renders a minimal and a rich message ------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _deliver(
    kind: str,
    message: Message,
    *,
    http_receiver: HTTPReceiver,
    udp_listener: SyslogUDPListener,
    mailoutbox: list[Any],
) -> Any:
    """Send ``message`` on a ``kind`` channel pointed at the local receivers; what arrived (parsed)."""
    config: dict[str, Any] = {
        "email": {"to": ["grc@example.com"]},
        "webhook": {"url": http_receiver.url, "secret": "k"},
        "slack": {"url": http_receiver.url},
        "teams": {"url": http_receiver.url},
        "splunk_hec": {"url": http_receiver.url, "token": "t"},
        "syslog_cef": {"host": "127.0.0.1", "port": udp_listener.port},
    }[kind]
    notifier_for(kind, config).send(message)
    if kind == "email":
        (mail,) = mailoutbox
        return f"{mail.subject}\n{mail.body}"
    if kind == "syslog_cef":
        return parse_rfc5424(udp_listener.receive())
    (request,) = http_receiver.requests
    return request.json()


def test_every_channel_kind_is_covered() -> None:
    assert set(NOTIFIERS) == {"email", "webhook", "slack", "teams", "splunk_hec", "syslog_cef"}


@pytest.mark.parametrize("kind", ["email", "slack", "teams"])
@pytest.mark.parametrize("message", [MINIMAL, RICH], ids=["minimal", "rich"])
def test_people_channels_show_title_severity_summary_facts_lines_and_links(
    kind: str,
    message: Message,
    http_receiver: HTTPReceiver,
    udp_listener: SyslogUDPListener,
    mailoutbox: list[Any],
) -> None:
    # when
    arrived = _deliver(kind, message, http_receiver=http_receiver, udp_listener=udp_listener, mailoutbox=mailoutbox)
    # then
    text = arrived if isinstance(arrived, str) else "\n".join(_strings(arrived))
    assert message.title in text
    assert message.severity.upper() in text
    expected = [
        message.summary,
        message.footer,
        *(f.label for f in message.facts),
        *(f.value for f in message.facts),
        *message.lines,
        *(link.url for link in message.links),
        *(link.label for link in message.links),
    ]
    if message.link:
        expected += [message.link, message.link_label]
    assert [part for part in expected if part and part not in text] == []
    if not message.link:
        assert message.link_label not in text  # no button without a link


@pytest.mark.parametrize("kind", ["webhook", "splunk_hec"])
@pytest.mark.parametrize("message", [MINIMAL, RICH], ids=["minimal", "rich"])
def test_json_channels_send_the_ecs_event(
    kind: str,
    message: Message,
    http_receiver: HTTPReceiver,
    udp_listener: SyslogUDPListener,
    mailoutbox: list[Any],
) -> None:
    # when
    arrived = _deliver(kind, message, http_receiver=http_receiver, udp_listener=udp_listener, mailoutbox=mailoutbox)
    # then
    event = arrived["event"] if kind == "splunk_hec" else arrived
    assert event == json.loads(json.dumps(message.to_ecs()))
    if kind == "splunk_hec":
        assert arrived["time"] == pytest.approx(message.occurred_at.timestamp())
        assert arrived["fields"] == {
            **message.refs,
            "kind": message.topic,
            "rule_id": message.signature,
            "severity": message.severity,
        }


@pytest.mark.parametrize("message", [MINIMAL, RICH], ids=["minimal", "rich"])
def test_syslog_cef_sends_the_signature_and_extension(
    message: Message, http_receiver: HTTPReceiver, udp_listener: SyslogUDPListener, mailoutbox: list[Any]
) -> None:
    # when
    syslog = _deliver(
        "syslog_cef", message, http_receiver=http_receiver, udp_listener=udp_listener, mailoutbox=mailoutbox
    )
    # then
    assert syslog["msgid"] == (message.category or message.topic)
    assert syslog["timestamp"] == "2026-04-01T08:00:00.000Z"
    header, ext = parse_cef(syslog["msg"])
    assert header[4:] == [message.signature, message.name, str(message.severity_score)]
    assert ext["externalId"] == message.event_id
    assert ext["msg"] == (message.summary or message.title)
    assert {key: ext[key] for key, _ in message.cef} == {key: str(value) for key, value in message.cef}
    if message is RICH:
        assert ext["cat"] == "grc"  # the topic's pair wins over the category
        assert ext["request"] == RICH.link
        assert RICH.start is not None
        assert ext["start"] == str(int(RICH.start.timestamp() * 1000))
        assert ext["end"] == ext["rt"] == str(int(RICH.occurred_at.timestamp() * 1000))
    else:
        assert set(ext) == {"rt", "externalId", "msg"}


@pytest.mark.parametrize(
    ("render", "limit"),
    [
        (lambda m: slack_message(m)["blocks"][1]["text"]["text"], SLACK_MAX_LINES),
        (lambda m: adaptive_card(m)["attachments"][0]["content"]["body"][1]["text"], TEAMS_MAX_LINES),
        (email_body, EMAIL_MAX_LINES),
    ],
    ids=["slack", "teams", "email"],
)
def test_long_detail_lists_are_capped(render: Any, limit: int) -> None:
    # given
    message = replace(MINIMAL, lines=tuple(f"value {i}" for i in range(limit + 7)))
    # when
    text = render(message)
    # then
    assert f"value {limit - 1}" in text
    assert f"value {limit}" not in text
    assert "and 7 more in AIGov" in text


# --- notifiers know nothing about topics ---------------------------------------------------------------------------

TOPIC_TYPES = {"AlertPayload", "AuditFindingPayload", "MetricVerdictItem", "Payload"}


def _names(module: ModuleType) -> set[str]:
    """Every name a module imports or mentions."""
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.asname or alias.name for alias in node.names)
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


@pytest.mark.parametrize("kind", sorted(NOTIFIERS))
def test_no_notifier_module_knows_the_payload_types(kind: str) -> None:
    module = sys.modules[NOTIFIERS[kind].__module__]
    assert _names(module) & TOPIC_TYPES == set()


def test_the_message_module_imports_the_standard_library_only() -> None:
    tree = ast.parse(inspect.getsource(message_module))
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom | ast.Import)
        for alias in node.names
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
