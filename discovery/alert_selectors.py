"""Reads for shadow-AI alerts: alert and delivery lists, block-list domains."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from discovery.alert_models import Alert, AlertRule, Channel, Delivery, ServicePromotion, Silence
from discovery.blocklist import BlocklistFormat, render
from discovery.choices import PolicyStatus, RuleType
from discovery.models import AIServiceRule


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("rule", "service", "assignee")


def alert_rule_list() -> QuerySet[AlertRule]:
    return AlertRule.objects.all()


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.prefetch_related("rules")


def channels_with_topic(queryset: QuerySet[Channel], *, topic: str) -> QuerySet[Channel]:
    """The channels of ``queryset`` subscribed to ``topic``. Membership is tested in Python: ``topics`` is a short
    JSON list, SQLite has no JSON-array containment lookup, and a channel table holds dozens of rows."""
    ids = [pk for pk, topics in queryset.values_list("pk", "topics") if isinstance(topics, list) and topic in topics]
    return queryset.filter(pk__in=ids)


def silence_list() -> QuerySet[Silence]:
    return Silence.objects.select_related("rule", "service", "created_by")


def delivery_list() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("alert__rule", "alert__service", "channel", "target_content_type")


def promotion_list() -> QuerySet[ServicePromotion]:
    return ServicePromotion.objects.select_related("service", "system", "promoted_by")


def blocklist_domains() -> list[str]:
    """Hosts of every service whose organisation-wide policy is unsanctioned, from exact and suffix rules.

    Left out, because a domain list would block more than the policy says: URL-prefix rules (a path cannot be
    expressed; ``chatgpt.com/codex`` must not block ChatGPT), weak rules (shared infrastructure), and any domain
    that is, or is a parent of, a host of a sanctioned or tolerated service."""
    host_rules = AIServiceRule.objects.filter(rule_type__in=[RuleType.EXACT, RuleType.SUFFIX], weak=False)
    blocked = set(host_rules.filter(service__policy=PolicyStatus.UNSANCTIONED).values_list("value", flat=True))
    allowed = set(host_rules.exclude(service__policy=PolicyStatus.UNSANCTIONED).values_list("value", flat=True))
    return sorted(d for d in blocked if not any(h == d or h.endswith("." + d) for h in allowed))


def blocklist_render(*, fmt: str, generated_at: datetime | None = None) -> str:
    """The block list of unsanctioned AI services in ``fmt`` (plain, squid, panos, rpz)."""
    return render(blocklist_domains(), BlocklistFormat(fmt), generated_at=generated_at)
