from __future__ import annotations

from typing import Any

import factory

from notifications.choices import ChannelKind, Severity
from notifications.models import Channel


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"Channel {n}")
    kind = ChannelKind.EMAIL
    config = factory.LazyFunction(lambda: {"to": ["soc@example.com"]})
    min_severity = Severity.LOW


def channel_config(kind: str, url: str) -> dict[str, Any]:
    return {"webhook": {"url": url, "secret": "s3cret"}, "slack": {"url": url}}[kind]
