from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from notifications.choices import DeliveryStatus
from notifications.models import Channel, Delivery
from notifications.selectors import channels_with_topic
from notifications.topics import topic_choices


class ChannelFilterSet(django_filters.FilterSet):
    topic = django_filters.ChoiceFilter(
        choices=topic_choices, method="filter_topic", help_text="Channels subscribed to this topic."
    )

    class Meta:
        model = Channel
        fields = ["kind", "enabled", "min_severity", "topic"]

    def filter_topic(self, queryset: QuerySet[Channel], name: str, value: str) -> QuerySet[Channel]:
        return channels_with_topic(queryset, topic=value)


class DeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    topic = django_filters.ChoiceFilter(choices=topic_choices)
    target_type = django_filters.CharFilter(
        method="filter_target_type", help_text="app_label.model of what the event is about, e.g. alerts.alert."
    )
    target_id = django_filters.CharFilter(field_name="target_object_id")

    class Meta:
        model = Delivery
        fields = ["status", "topic", "channel", "event_key", "target_type", "target_id"]

    def filter_target_type(self, queryset: QuerySet[Delivery], name: str, value: str) -> QuerySet[Delivery]:
        app_label, _, model = value.partition(".")
        return queryset.filter(target_content_type__app_label=app_label, target_content_type__model=model)
