"""The demo: ingesting the demo logs raises the expected alerts once each, and a second load changes nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

from alerts import demo as alerts_demo
from alerts.models import Alert, AlertRule
from discovery import demo
from notifications.models import Channel, Delivery


def test_demo_raises_the_expected_alerts_once_each(
    catalog: None, sam: Any, alice: Any, audrey: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    users = {"sam": sam, "alice": alice, "audrey": audrey}
    # when
    with django_capture_on_commit_callbacks(execute=False):
        demo.load(users=users)
        alerts_demo.load(users=users)
    counts = (AlertRule.objects.count(), Channel.objects.count(), Alert.objects.count(), Delivery.objects.count())
    per_rule = Counter(Alert.objects.values_list("rule__key", flat=True))
    with django_capture_on_commit_callbacks(execute=False):
        demo.load(users=users)
        alerts_demo.load(users=users)
    # then
    assert (AlertRule.objects.count(), Channel.objects.count(), Alert.objects.count(), Delivery.objects.count()) == (
        counts
    )
    assert counts[:2] == (7, 2)
    # every catalogued service seen for the first time this week, once each
    first_org = set(Alert.objects.filter(rule__key="first-use-org").values_list("service__slug", flat=True))
    assert {"chatgpt", "claude", "deepseek", "huggingface"} <= first_org
    assert per_rule["first-use-org"] == len(first_org)
    # unsanctioned use and the high-risk service (DeepSeek, 9/10) per pseudonymous user
    assert per_rule["unsanctioned-use"] > 0
    assert set(Alert.objects.filter(rule__key="high-risk-service").values_list("service__slug", flat=True)) == {
        "deepseek"
    }
    # large Hugging Face uploads over the (demo-lowered) daily limits
    assert set(Alert.objects.filter(rule__key="upload-volume").values_list("service__slug", flat=True)) == {
        "huggingface"
    }
    # ChatGPT is sanctioned in the demo: never an unsanctioned-use alert
    assert not Alert.objects.filter(rule__key="unsanctioned-use", service__slug="chatgpt").exists()
    # pseudonyms only
    assert not Alert.objects.filter(subject__in=["jdoe", "asmith", "tnguyen"]).exists()
    # the e-mail channel gets the organisation-level rules only; the example webhook is disabled
    email = Channel.objects.get(kind="email")
    assert set(Delivery.objects.values_list("channel", flat=True)) == {email.pk}
    assert (
        Delivery.objects.count()
        == per_rule["first-use-org"]
        + Alert.objects.filter(rule__key="upload-volume", severity__in=["medium", "high", "critical"]).count()
    )
