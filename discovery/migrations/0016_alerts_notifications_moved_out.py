"""Alerting and the notification outbox leave the discovery app: their models are removed from the discovery
*state* only.

The tables (``discovery_alertrule``, ``discovery_alert``, ``discovery_alertcomment``, ``discovery_silence``,
``discovery_channel``, ``discovery_delivery``, the rule-channel table ``discovery_channel_rules`` and the history
tables) and their rows stay where they are: ``alerts.0001`` and ``notifications.0001`` take the models over with
``db_table`` kept; ``alerts.0002`` and ``notifications.0002`` move their content types (and with them the
permissions, role grants, audit-log links and delivery targets). A promotion's ``alert`` now points at
``alerts.Alert`` (same table, so nothing changes in the database).

``discovery_historicalchannel_rules`` (the history of the channel-side rule filter, which became the rules' own
``channels``; see ``alerts.0003``) is kept as it is, read-only and without a model: its rows are part of the audit
trail. A rule's channels are recorded in ``alerts_historicalalertrule_channels`` from now on.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0015_delivery_old_rows_guard"),
        ("alerts", "0001_alerts_from_discovery"),
        ("notifications", "0001_outbox_from_discovery"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="historicalservicepromotion",
                    name="alert",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="The alert it was promoted from, if any.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="alerts.alert",
                    ),
                ),
                migrations.RemoveField(
                    model_name="alertcomment",
                    name="alert",
                ),
                migrations.AlterField(
                    model_name="servicepromotion",
                    name="alert",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="The alert it was promoted from, if any.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="alerts.alert",
                    ),
                ),
                migrations.RemoveField(
                    model_name="alertcomment",
                    name="author",
                ),
                migrations.RemoveField(
                    model_name="historicalchannel_rules",
                    name="alertrule",
                ),
                migrations.RemoveField(
                    model_name="historicalalert",
                    name="rule",
                ),
                migrations.RemoveField(
                    model_name="channel",
                    name="rules",
                ),
                migrations.RemoveField(
                    model_name="historicalsilence",
                    name="rule",
                ),
                migrations.RemoveField(
                    model_name="silence",
                    name="rule",
                ),
                migrations.RemoveField(
                    model_name="delivery",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="historicalchannel_rules",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="delivery",
                    name="target_content_type",
                ),
                migrations.RemoveField(
                    model_name="historicalalert",
                    name="assignee",
                ),
                migrations.RemoveField(
                    model_name="historicalalert",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalalert",
                    name="service",
                ),
                migrations.RemoveField(
                    model_name="historicalalertrule",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalchannel",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalchannel_rules",
                    name="history",
                ),
                migrations.RemoveField(
                    model_name="historicalsilence",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="historicalsilence",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalsilence",
                    name="service",
                ),
                migrations.RemoveField(
                    model_name="silence",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="silence",
                    name="service",
                ),
                migrations.DeleteModel(
                    name="Alert",
                ),
                migrations.DeleteModel(
                    name="AlertComment",
                ),
                migrations.DeleteModel(
                    name="AlertRule",
                ),
                migrations.DeleteModel(
                    name="Channel",
                ),
                migrations.DeleteModel(
                    name="Delivery",
                ),
                migrations.DeleteModel(
                    name="HistoricalAlert",
                ),
                migrations.DeleteModel(
                    name="HistoricalAlertRule",
                ),
                migrations.DeleteModel(
                    name="HistoricalChannel",
                ),
                migrations.DeleteModel(
                    name="HistoricalChannel_rules",
                ),
                migrations.DeleteModel(
                    name="HistoricalSilence",
                ),
                migrations.DeleteModel(
                    name="Silence",
                ),
            ],
        ),
    ]
