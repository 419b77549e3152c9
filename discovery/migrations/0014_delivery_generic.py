"""Step 3 of 4 (see 0012): the schema of the generic outbox: no alert foreign key nor notification number, an
optional channel (a direct e-mail to ``recipients``), ``topic`` a key of the registry, one delivery per (channel,
event) and per direct event."""

import django.db.models.deletion
from django.db import migrations, models

import notifications.models


class Migration(migrations.Migration):
    dependencies = [("discovery", "0013_delivery_event_keys")]

    operations = [
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
    ]
