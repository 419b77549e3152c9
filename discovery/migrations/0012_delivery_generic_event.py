"""The delivery outbox becomes generic before it moves to the notifications app (real schema changes, made while
the models are still in the discovery state; ``0013`` then hands them over).

A delivery no longer has a foreign key to an alert, nor an alert notification number: every delivery names its
event by ``event_key`` and what it is about by its generic ``target``. Existing alert deliveries get
``event_key = "alerts.alert.<alert id>.<notification>"`` and the alert as target, so nothing is lost and the
uniqueness "one delivery per alert, channel and notification" is the new "one delivery per channel and event".
A delivery may now have no channel: a direct e-mail to ``recipients`` (an obligation's owner, the compliance
officers of an audit). ``topic`` is a key of the topic registry (``notifications.topics``), no longer a fixed choice.

Reversible: going back restores ``alert`` and ``notification`` from the target and the key, and deletes the rows
the old schema cannot hold (direct e-mails, topics other than alerts and audit findings).
"""

import django.db.models.deletion
from django.db import migrations, models

import notifications.models

ALERT_TOPIC = "shadow_ai_alert"
OLD_TOPICS = (ALERT_TOPIC, "audit_finding")


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    db = schema_editor.connection.alias
    delivery = apps.get_model("discovery", "Delivery")
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = delivery.objects.using(db).filter(alert__isnull=False).only("pk", "alert_id", "notification")
    if not rows.exists():
        return
    alert_type, _ = content_type.objects.using(db).get_or_create(app_label="discovery", model="alert")
    for row in rows.iterator():
        delivery.objects.using(db).filter(pk=row.pk).update(
            event_key=f"alerts.alert.{row.alert_id}.{row.notification}",
            target_content_type=alert_type,
            target_object_id=str(row.alert_id),
        )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    db = schema_editor.connection.alias
    delivery = apps.get_model("discovery", "Delivery")
    for row in delivery.objects.using(db).filter(topic=ALERT_TOPIC).only("pk", "event_key", "target_object_id"):
        number = row.event_key.rsplit(".", 1)[-1]
        delivery.objects.using(db).filter(pk=row.pk).update(
            alert_id=int(row.target_object_id),
            notification=int(number) if number.isdigit() else 1,
            event_key="",
            target_content_type=None,
            target_object_id="",
        )


def drop_rows_the_old_schema_cannot_hold(apps, schema_editor):  # type: ignore[no-untyped-def]
    delivery = apps.get_model("discovery", "Delivery")
    rows = delivery.objects.using(schema_editor.connection.alias)
    rows.filter(models.Q(channel__isnull=True) | ~models.Q(topic__in=OLD_TOPICS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0011_content_dedup"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="delivery", name="delivery_unique_notification"),
        migrations.RemoveConstraint(model_name="delivery", name="delivery_unique_event"),
        migrations.RemoveConstraint(model_name="delivery", name="delivery_carries_one_event"),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="delivery", name="alert"),
        migrations.RemoveField(model_name="delivery", name="notification"),
        migrations.AlterField(model_name="delivery", name="topic", field=models.CharField(max_length=40)),
        migrations.AlterField(
            model_name="delivery",
            name="event_key",
            field=models.CharField(help_text="Identity of the event, e.g. audits.run.12.1.", max_length=100),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="payload",
            field=models.JSONField(
                blank=True, default=dict, help_text="Message snapshot taken when the event happened."
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="channel",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="discovery.channel",
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="recipients",
            field=models.JSONField(blank=True, default=list, help_text="Addresses of a direct e-mail (no channel)."),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("channel__isnull", False)),
                fields=("channel", "event_key"),
                name="delivery_unique_channel_event",
                violation_error_message="This event was already delivered to this channel.",
            ),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("channel__isnull", True)),
                fields=("event_key",),
                name="delivery_unique_direct_event",
                violation_error_message="This event was already e-mailed directly.",
            ),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("event_key", ""), _negated=True), name="delivery_has_event_key"
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["target_content_type", "target_object_id"], name="delivery_target_idx"),
        ),
        migrations.AlterField(
            model_name="channel",
            name="topics",
            field=models.JSONField(
                default=notifications.models.default_channel_topics,
                help_text="What the channel receives, a list of topics (shadow_ai_alert, audit_finding, "
                "obligation_reminder, evidence_pack_ready). Anything but shadow-AI alerts goes only to channels "
                "that list it.",
            ),
        ),
        migrations.AlterField(
            model_name="historicalchannel",
            name="topics",
            field=models.JSONField(
                default=notifications.models.default_channel_topics,
                help_text="What the channel receives, a list of topics (shadow_ai_alert, audit_finding, "
                "obligation_reminder, evidence_pack_ready). Anything but shadow-AI alerts goes only to channels "
                "that list it.",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_rows_the_old_schema_cannot_hold),
    ]
