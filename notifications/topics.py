"""The registry of notification topics: what kinds of event the outbox carries, declared by the apps that raise
them (each in its ``AppConfig.ready()``), so this app imports none of them.

A topic has a key (stored on channels and deliveries, stable), a label for people, whether channels that do not
say are subscribed to it, and an optional ``refresh(delivery)`` hook that rebuilds the message when it is sent
(alerts: the latest counts; ``None`` when the object it is about is gone). Without it the snapshot stored with the
delivery is sent.

Plain Python (the hooks receive Django objects, but nothing here imports Django), so the registry can be read
from settings, serializers and tests alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notifications.notifiers.message import Message


class UnknownTopic(LookupError):
    """A delivery or channel names a topic nobody registered (an app was removed, or a typo)."""


@dataclass(frozen=True, slots=True)
class Topic:
    """One kind of event the outbox carries."""

    key: str
    label: str
    description: str = ""
    #: channels created without a topic list receive it
    default: bool = False
    #: rebuild the message when the delivery is sent (latest state); None when the object is gone
    refresh: Callable[[Any], Message | None] | None = None
    #: where it is listed (forms, API, a channel's stored list): lower first, whatever the order apps load in
    order: int = 100


_TOPICS: dict[str, Topic] = {}


def topic_register(
    key: str,
    label: str,
    *,
    description: str = "",
    default: bool = False,
    refresh: Callable[[Any], Message | None] | None = None,
    order: int = 100,
) -> Topic:
    """Declare a topic (idempotent for the same declaration; a different one under a known key is an error)."""
    topic = Topic(key=key, label=label, description=description, default=default, refresh=refresh, order=order)
    existing = _TOPICS.get(key)
    if existing is not None and (existing.label, existing.default) != (topic.label, topic.default):
        raise ValueError(f"notification topic {key!r} registered twice with different declarations")
    _TOPICS[key] = topic
    ordered = sorted(_TOPICS.values(), key=lambda t: (t.order, t.key))
    _TOPICS.clear()
    _TOPICS.update((t.key, t) for t in ordered)
    return topic


def topic_get(key: str) -> Topic:
    try:
        return _TOPICS[key]
    except KeyError:
        raise UnknownTopic(f"unknown notification topic {key!r}") from None


def topic_keys() -> list[str]:
    """Registered topic keys, in their declared order."""
    return list(_TOPICS)


def topic_choices() -> list[tuple[str, str]]:
    """``(key, label)`` pairs for forms, filters and the API schema."""
    return [(t.key, t.label) for t in _TOPICS.values()]


def default_topic_keys() -> list[str]:
    return [t.key for t in _TOPICS.values() if t.default]
