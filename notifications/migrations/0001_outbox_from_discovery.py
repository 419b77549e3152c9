"""Channel and Delivery (and Channel's history), taken over from the discovery app: state only, the tables
(``discovery_channel``, ``discovery_delivery``, ``discovery_historicalchannel``) already exist with their rows.

Written from the models' state after ``discovery.0012-0015`` (which made the outbox generic); ``discovery.0016``
removes them from the discovery state after this, and ``notifications.0002`` moves their content types.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import notifications.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("discovery", "0015_delivery_old_rows_guard"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='Channel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('name', models.CharField(max_length=120, unique=True)),
                ('kind', models.CharField(choices=[('email', 'E-mail'), ('webhook', 'Webhook (signed JSON)'), ('slack', 'Slack incoming webhook'), ('teams', 'Microsoft Teams (Workflows)'), ('syslog_cef', 'Syslog CEF (UDP/TCP)'), ('splunk_hec', 'Splunk HEC')], max_length=20)),
                ('config', models.JSONField(default=dict, help_text='email: {"to": [...]}; webhook: {"url", "secret"}; slack/teams: {"url"}; syslog_cef: {"host", "port", "protocol": "udp"|"tcp"}; splunk_hec: {"url", "token", "index"}')),
                ('enabled', models.BooleanField(default=True)),
                ('min_severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='low', max_length=10)),
                ('topics', models.JSONField(default=notifications.models.default_channel_topics, help_text='What the channel receives, a list of topics (shadow_ai_alert, audit_finding, obligation_reminder, evidence_pack_ready). Anything but shadow-AI alerts goes only to channels that list it.')),
            ],
            options={
                'db_table': 'discovery_channel',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalChannel',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, db_index=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('name', models.CharField(db_index=True, max_length=120)),
                ('kind', models.CharField(choices=[('email', 'E-mail'), ('webhook', 'Webhook (signed JSON)'), ('slack', 'Slack incoming webhook'), ('teams', 'Microsoft Teams (Workflows)'), ('syslog_cef', 'Syslog CEF (UDP/TCP)'), ('splunk_hec', 'Splunk HEC')], max_length=20)),
                ('config', models.JSONField(default=dict, help_text='email: {"to": [...]}; webhook: {"url", "secret"}; slack/teams: {"url"}; syslog_cef: {"host", "port", "protocol": "udp"|"tcp"}; splunk_hec: {"url", "token", "index"}')),
                ('enabled', models.BooleanField(default=True)),
                ('min_severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='low', max_length=10)),
                ('topics', models.JSONField(default=notifications.models.default_channel_topics, help_text='What the channel receives, a list of topics (shadow_ai_alert, audit_finding, obligation_reminder, evidence_pack_ready). Anything but shadow-AI alerts goes only to channels that list it.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical channel',
                'verbose_name_plural': 'historical channels',
                'db_table': 'discovery_historicalchannel',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('topic', models.CharField(max_length=40)),
                ('event_key', models.CharField(help_text='Identity of the event, e.g. audits.run.12.1.', max_length=100)),
                ('payload', models.JSONField(blank=True, default=dict, help_text='Message snapshot taken when the event happened.')),
                ('target_object_id', models.CharField(blank=True, max_length=64)),
                ('recipients', models.JSONField(blank=True, default=list, help_text='Addresses of a direct e-mail (no channel).')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('dead', 'Dead letter')], default='pending', max_length=10)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(db_index=True)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('channel', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.channel')),
                ('target_content_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'verbose_name_plural': 'deliveries',
                'db_table': 'discovery_delivery',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='discovery_d_status_79c7f9_idx'), models.Index(fields=['target_content_type', 'target_object_id'], name='delivery_target_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('channel__isnull', False)), fields=('channel', 'event_key'), name='delivery_unique_channel_event', violation_error_message='This event was already delivered to this channel.'), models.UniqueConstraint(condition=models.Q(('channel__isnull', True)), fields=('event_key',), name='delivery_unique_direct_event', violation_error_message='This event was already e-mailed directly.'), models.CheckConstraint(condition=models.Q(('event_key', ''), _negated=True), name='delivery_has_event_key')],
            },
        ),
            ],
        ),
    ]
