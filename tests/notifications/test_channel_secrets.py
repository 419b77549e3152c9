"""Channel secrets are write-only: never in an API response (detail, list, history), an admin page (change form,
read-only view, history list and diffs, a history record) or the history table, for every role; updating a channel
without sending its secret keeps it."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from notifications import services as notification_services
from notifications.models import Channel
from notifications.secrets import MASK, config_masked, config_merge_secrets, primary_secret_key, secret_keys

OLD = "old-s3cr3t-value-0001"
NEW = "new-s3cr3t-value-0002"
SMTP = "smtp-passw0rd-0003"

#: kind -> (config with the OLD secret, the key holding it)
CHANNELS: dict[str, tuple[dict[str, Any], str]] = {
    "webhook": ({"url": "https://siem.example/hook", "secret": OLD}, "secret"),
    "splunk_hec": ({"url": "https://splunk.example:8088/services/collector/event", "token": OLD}, "token"),
    "slack": ({"url": f"https://hooks.slack.com/services/T000/B000/{OLD}"}, "url"),
    "teams": ({"url": f"https://prod.westeurope.logic.azure.com/workflows/1/triggers?sig={OLD}"}, "url"),
    "email": ({"to": ["soc@example.com"], "password": OLD}, "password"),
}
PERSONAS = ["alice", "audrey", "sam"]


def _rotated(kind: str) -> dict[str, Any]:
    config, key = CHANNELS[kind]
    return {**config, key: str(config[key]).replace(OLD, NEW)}


def make_channel(kind: str, actor: Any) -> Channel:
    """A channel created with the OLD secret, then rotated to NEW: its history holds both."""
    config, _ = CHANNELS[kind]
    channel = notification_services.channel_create(
        actor=actor, reason="created", data={"name": f"{kind} channel", "kind": kind, "config": dict(config)}
    )
    return notification_services.channel_update(
        channel=channel, actor=actor, reason="rotated", data={"config": _rotated(kind)}
    )


def assert_no_secret(body: bytes | str) -> None:
    text = body.decode() if isinstance(body, bytes) else body
    assert OLD not in text
    assert NEW not in text
    assert "s3cr3t" not in text


# --- the pure rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "secret"),
    [
        ("webhook", "secret", True),
        ("webhook", "url", False),
        ("splunk_hec", "token", True),
        ("splunk_hec", "url", False),
        ("splunk_hec", "index", False),
        ("slack", "url", True),
        ("teams", "url", True),
        ("email", "to", False),
        ("email", "password", True),
        ("syslog_cef", "host", False),
        ("syslog_cef", "token", True),
    ],
)
def test_secret_keys_are_declared_per_kind(kind: str, key: str, secret: bool) -> None:
    assert (key in secret_keys(kind)) is secret


def test_primary_secret_per_kind() -> None:
    assert [primary_secret_key(k) for k in ("webhook", "splunk_hec", "slack", "teams", "email", "syslog_cef")] == [
        "secret",
        "token",
        "url",
        "url",
        None,
        None,
    ]


def test_masking_hides_set_secrets_and_tags_differ_per_value() -> None:
    config = {"url": "https://x", "secret": OLD, "token": ""}
    assert config_masked("webhook", config) == {"url": "https://x", "secret": MASK, "token": ""}
    tag_old = config_masked("webhook", config, tag_key=b"k")["secret"]
    tag_new = config_masked("webhook", {**config, "secret": NEW}, tag_key=b"k")["secret"]
    assert tag_old.startswith(MASK + ":") and tag_new.startswith(MASK + ":")
    assert tag_old != tag_new
    assert OLD not in tag_old
    assert config_masked("webhook", {"secret": tag_old}) == {"secret": MASK}  # a tag is not shown outside history


@pytest.mark.parametrize(
    ("submitted", "merged"),
    [
        ({"url": "https://new"}, {"url": "https://new", "secret": OLD}),  # left out: kept
        ({"url": "https://new", "secret": ""}, {"url": "https://new", "secret": OLD}),  # blank: kept
        ({"url": "https://new", "secret": MASK}, {"url": "https://new", "secret": OLD}),  # masked: kept
        ({"url": "https://new", "secret": MASK + ":abcd1234"}, {"url": "https://new", "secret": OLD}),
        ({"url": "https://new", "secret": NEW}, {"url": "https://new", "secret": NEW}),  # replaced
        ({"url": "https://new", "secret": None}, {"url": "https://new"}),  # null: removed
    ],
)
def test_merge_keeps_secrets_not_sent(submitted: dict[str, Any], merged: dict[str, Any]) -> None:
    assert config_merge_secrets("webhook", {"url": "https://old", "secret": OLD}, submitted) == merged


def test_merge_never_stores_a_mask_as_a_secret() -> None:
    assert config_merge_secrets("webhook", {}, {"url": "https://x", "secret": MASK}) == {"url": "https://x"}


# --- storage --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CHANNELS))
def test_history_rows_never_store_the_secret(sam: Any, kind: str) -> None:
    # given
    channel = make_channel(kind, sam)
    # then
    rows = list(channel.history.order_by("history_id").values_list("config", flat=True))
    assert len(rows) == 2
    assert_no_secret(repr(rows))
    key = CHANNELS[kind][1]
    assert rows[0][key] != rows[1][key]  # the rotation is still visible as a changed tag
    assert Channel.objects.get(pk=channel.pk).config == _rotated(kind)  # the live row keeps the real secret


def test_migration_masks_secrets_already_in_history(sam: Any) -> None:
    # given: a history row written before the fix, holding the secret in clear
    channel = make_channel("webhook", sam)
    historical = django_apps.get_model("notifications", "HistoricalChannel")
    historical.objects.filter(id=channel.pk).update(config={"url": "https://siem.example/hook", "secret": OLD})
    migration = importlib.import_module("discovery.migrations.0010_secrets_mask_channel_history")

    class MovedApps:  # the migration ran while the model was discovery's; the same table is notifications' now
        def get_model(self, app_label: str, name: str) -> Any:
            return django_apps.get_model("notifications", name)

    # when
    migration.mask_channel_history(MovedApps(), None)
    # then
    rows = list(historical.objects.filter(id=channel.pk).values_list("config", flat=True))
    assert rows and all(row["secret"].startswith(MASK + ":") for row in rows)
    assert_no_secret(repr(rows))


# --- API ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("kind", sorted(CHANNELS))
def test_api_never_returns_a_secret(api: APIClient, sam: Any, persona: Any, kind: str) -> None:
    # given
    channel = make_channel(kind, sam)
    api.force_authenticate(persona)
    # when
    detail = api.get(reverse("notifications-api:channel-detail", args=[channel.pk]))
    listing = api.get(reverse("notifications-api:channel-list"))
    history = api.get(reverse("notifications-api:channel-history", args=[channel.pk]))
    # then
    for response in (detail, listing, history):
        assert response.status_code == 200
        assert_no_secret(response.content)
    assert detail.json()["config"][CHANNELS[kind][1]] == MASK
    diffs = [c for record in history.json() for c in record["changes"] if c["field"] == "config"]
    assert diffs, "the rotation shows in the history diff"


def test_api_update_without_the_secret_keeps_it(api: APIClient, sam: Any) -> None:
    # given
    channel = make_channel("webhook", sam)
    api.force_authenticate(sam)
    url = reverse("notifications-api:channel-detail", args=[channel.pk])
    # when: the config as the API showed it (masked), with a new URL
    shown = api.get(url).json()["config"]
    patched = api.patch(url, {"config": {**shown, "url": "https://siem2.example/hook"}}, format="json")
    left_out = api.patch(url, {"config": {"url": "https://siem3.example/hook"}}, format="json")
    renamed = api.patch(url, {"name": "renamed"}, format="json")
    # then
    assert (patched.status_code, left_out.status_code, renamed.status_code) == (200, 200, 200)
    assert Channel.objects.get(pk=channel.pk).config == {"url": "https://siem3.example/hook", "secret": NEW}
    assert_no_secret(patched.content + left_out.content + renamed.content)


def test_api_put_can_replace_the_secret(api: APIClient, sam: Any) -> None:
    channel = make_channel("splunk_hec", sam)
    api.force_authenticate(sam)
    body = {"name": "hec", "kind": "splunk_hec", "config": {"url": "https://s.example", "token": "fresh-token"}}
    response = api.put(reverse("notifications-api:channel-detail", args=[channel.pk]), body, format="json")
    assert response.status_code == 200
    assert response.json()["config"]["token"] == MASK
    assert Channel.objects.get(pk=channel.pk).config["token"] == "fresh-token"


# --- admin ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("kind", sorted(CHANNELS))
def test_admin_pages_never_show_a_secret(client: Client, sam: Any, persona: Any, kind: str) -> None:
    # given
    channel = make_channel(kind, sam)
    history_ids = list(channel.history.values_list("history_id", flat=True))
    client.force_login(persona)
    # when
    pages = [
        reverse("admin:notifications_channel_changelist"),
        reverse("admin:notifications_channel_change", args=[channel.pk]),
        reverse("admin:notifications_channel_history", args=[channel.pk]),
        *(
            reverse("admin:notifications_channel_simple_history", args=[channel.pk, history_id])
            for history_id in history_ids
        ),
    ]
    # then
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_no_secret(response.content)
    change = client.get(pages[1]).content.decode()
    assert MASK in change  # the viewer sees that a secret is set


def _admin_form(client: Client, channel: Channel, **overrides: Any) -> dict[str, Any]:
    """The change form as the browser would post it back (masked config and all)."""
    import json

    response = client.get(reverse("admin:notifications_channel_change", args=[channel.pk]))
    form = response.context["adminform"].form
    data: dict[str, Any] = {
        "name": channel.name,
        "kind": channel.kind,
        "config": json.dumps(form.initial["config"]),
        "enabled": "on",
        "min_severity": channel.min_severity,
        "topics": list(channel.topics),
        "secret_value": "",
        "change_reason": "channel maintenance",
    }
    data.update(overrides)
    return data


def test_admin_save_with_the_secret_left_blank_keeps_it(client: Client, sam: Any) -> None:
    # given
    channel = make_channel("webhook", sam)
    client.force_login(sam)
    url = reverse("admin:notifications_channel_change", args=[channel.pk])
    # when
    response = client.post(url, _admin_form(client, channel, name="renamed"))
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.name == "renamed"
    assert channel.config == {"url": "https://siem.example/hook", "secret": NEW}


def test_admin_write_only_field_sets_the_secret(client: Client, sam: Any) -> None:
    # given
    channel = make_channel("slack", sam)
    client.force_login(sam)
    url = reverse("admin:notifications_channel_change", args=[channel.pk])
    fresh = "https://hooks.slack.com/services/T000/B000/fresh"
    # when
    response = client.post(url, _admin_form(client, channel, secret_value=fresh))
    # then
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.config == {"url": fresh}
    page = client.get(url).content.decode()
    assert fresh not in page
    assert 'name="secret_value"' in page


def test_admin_form_for_an_editor_renders_the_config_masked(client: Client, sam: Any) -> None:
    channel = make_channel("webhook", sam)
    client.force_login(sam)
    response = client.get(reverse("admin:notifications_channel_change", args=[channel.pk]))
    assert response.context["adminform"].form.initial["config"] == {"url": "https://siem.example/hook", "secret": MASK}
    assert_no_secret(response.content)


def test_reverting_from_the_history_page_never_writes_a_mask_as_the_secret(client: Client, sam: Any) -> None:
    # given: the first history record (made with OLD; history keeps only its tag)
    import json

    channel = make_channel("webhook", sam)
    first = channel.history.order_by("history_id").first()
    assert first is not None
    client.force_login(sam)
    url = reverse("admin:notifications_channel_simple_history", args=[channel.pk, first.history_id])
    form = client.get(url).context["adminform"].form
    data = {
        "name": "reverted",
        "kind": "webhook",
        "config": json.dumps(form.initial["config"]),
        "enabled": "on",
        "min_severity": channel.min_severity,
        "topics": list(channel.topics),
        "secret_value": "",
        "change_reason": "revert",
    }
    # when
    response = client.post(url, data)
    # then: reverting is refused (the History pages are read-only), and the row keeps its name and live secret
    assert response.status_code == 403
    channel.refresh_from_db()
    assert channel.name != "reverted"
    assert channel.config == {"url": "https://siem.example/hook", "secret": NEW}
