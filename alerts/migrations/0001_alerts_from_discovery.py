"""AlertRule, Alert, AlertComment and Silence (and their history models), taken over from the discovery app: state
only, the tables (``discovery_alertrule``, ``discovery_alert``, ...) already exist with their rows. The rules'
``channels`` take over the existing rule-channel table ``discovery_channel_rules`` (same columns); their history
(``alerts_historicalalertrule_channels``) is the one new table.

``discovery.0016`` removes the models from the discovery state after this; ``alerts.0002`` moves the content types
and ``alerts.0003`` turns the channel-side rule filter into rule-side routing.
"""
import django.db.models.deletion
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('discovery', '0015_delivery_old_rows_guard'),
        ('notifications', '0001_outbox_from_discovery'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AlertRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('key', models.SlugField(help_text='Stable id sent to the SIEM (CEF cs1 / rule.id).', max_length=80, unique=True)),
                        ('name', models.CharField(max_length=200)),
                        ('kind', models.CharField(choices=[('unsanctioned', 'Use of an unsanctioned service'), ('first_use_org', 'First use of a service by the organisation'), ('first_use_user', 'First use of a service by a user'), ('upload_volume', 'Upload volume per day above a threshold'), ('large_upload', 'Single large upload'), ('baseline_zscore', "Usage far above the user's own baseline"), ('high_risk_service', 'Use of a service with a high risk score')], max_length=30)),
                        ('description', models.TextField(blank=True)),
                        ('severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='medium', max_length=10)),
                        ('enabled', models.BooleanField(default=True)),
                        ('params', models.JSONField(blank=True, default=dict, help_text='Thresholds overriding the kind\'s defaults, e.g. {"user_bytes_per_day": 104857600}.')),
                        ('window_hours', models.PositiveIntegerField(default=24, help_text='Dedup window in hours.')),
                        ('repeat_interval_hours', models.PositiveIntegerField(default=24, help_text='Re-notify a firing alert after.')),
                    ],
                    options={
                        'db_table': 'discovery_alertrule',
                        'ordering': ['key'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalAlert',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('created_at', models.DateTimeField(blank=True, db_index=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('uuid', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                        ('fingerprint', models.CharField(max_length=64)),
                        ('window_start', models.DateTimeField()),
                        ('subject', models.CharField(blank=True, help_text='Pseudonym; empty for organisation-wide.', max_length=64)),
                        ('subject_kind', models.CharField(blank=True, max_length=10)),
                        ('severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], max_length=10)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved'), ('false_positive', 'False positive')], db_index=True, default='open', max_length=20)),
                        ('summary', models.CharField(max_length=500)),
                        ('first_seen', models.DateTimeField()),
                        ('silenced', models.BooleanField(default=False, help_text='A silence matched at the last evaluation.')),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('notified_severity', models.CharField(blank=True, max_length=10)),
                        ('notifications', models.PositiveIntegerField(default=0)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ],
                    options={
                        'verbose_name': 'historical alert',
                        'verbose_name_plural': 'historical alerts',
                        'db_table': 'discovery_historicalalert',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalAlertRule',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('created_at', models.DateTimeField(blank=True, db_index=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('key', models.SlugField(help_text='Stable id sent to the SIEM (CEF cs1 / rule.id).', max_length=80)),
                        ('name', models.CharField(max_length=200)),
                        ('kind', models.CharField(choices=[('unsanctioned', 'Use of an unsanctioned service'), ('first_use_org', 'First use of a service by the organisation'), ('first_use_user', 'First use of a service by a user'), ('upload_volume', 'Upload volume per day above a threshold'), ('large_upload', 'Single large upload'), ('baseline_zscore', "Usage far above the user's own baseline"), ('high_risk_service', 'Use of a service with a high risk score')], max_length=30)),
                        ('description', models.TextField(blank=True)),
                        ('severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='medium', max_length=10)),
                        ('enabled', models.BooleanField(default=True)),
                        ('params', models.JSONField(blank=True, default=dict, help_text='Thresholds overriding the kind\'s defaults, e.g. {"user_bytes_per_day": 104857600}.')),
                        ('window_hours', models.PositiveIntegerField(default=24, help_text='Dedup window in hours.')),
                        ('repeat_interval_hours', models.PositiveIntegerField(default=24, help_text='Re-notify a firing alert after.')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ],
                    options={
                        'verbose_name': 'historical alert rule',
                        'verbose_name_plural': 'historical alert rules',
                        'db_table': 'discovery_historicalalertrule',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalSilence',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('created_at', models.DateTimeField(blank=True, db_index=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('subject', models.CharField(blank=True, help_text='Pseudonym to mute.', max_length=64)),
                        ('until', models.DateTimeField()),
                        ('reason', models.TextField(blank=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ],
                    options={
                        'verbose_name': 'historical silence',
                        'verbose_name_plural': 'historical silences',
                        'db_table': 'discovery_historicalsilence',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Silence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('subject', models.CharField(blank=True, help_text='Pseudonym to mute.', max_length=64)),
                        ('until', models.DateTimeField()),
                        ('reason', models.TextField(blank=True)),
                    ],
                    options={
                        'db_table': 'discovery_silence',
                        'ordering': ['-until'],
                    },
                ),
                migrations.CreateModel(
                    name='Alert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('fingerprint', models.CharField(max_length=64)),
                        ('window_start', models.DateTimeField()),
                        ('subject', models.CharField(blank=True, help_text='Pseudonym; empty for organisation-wide.', max_length=64)),
                        ('subject_kind', models.CharField(blank=True, max_length=10)),
                        ('severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], max_length=10)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved'), ('false_positive', 'False positive')], db_index=True, default='open', max_length=20)),
                        ('summary', models.CharField(max_length=500)),
                        ('details', models.JSONField(blank=True, default=dict)),
                        ('count', models.BigIntegerField(default=0, help_text='Requests in the window.')),
                        ('first_seen', models.DateTimeField()),
                        ('last_seen', models.DateTimeField(db_index=True)),
                        ('silenced', models.BooleanField(default=False, help_text='A silence matched at the last evaluation.')),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('notified_severity', models.CharField(blank=True, max_length=10)),
                        ('notified_last_seen', models.DateTimeField(blank=True, null=True)),
                        ('notifications', models.PositiveIntegerField(default=0)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='discovery.aiservice')),
                    ],
                    options={
                        'db_table': 'discovery_alert',
                        'ordering': ['-last_seen', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='AlertComment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('alert', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='alerts.alert')),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'discovery_alertcomment',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.AddField(
                    model_name='alertrule',
                    name='channels',
                    field=models.ManyToManyField(blank=True, db_table='discovery_channel_rules', help_text="Channels this rule's alerts go to, besides the severity filter. Empty = every channel subscribed to shadow-AI alerts.", related_name='alert_rules', to='notifications.channel'),
                ),
                migrations.AddField(
                    model_name='alert',
                    name='rule',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='alerts.alertrule'),
                ),
                migrations.AddField(
                    model_name='historicalalert',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddField(
                    model_name='historicalalert',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddField(
                    model_name='historicalalert',
                    name='rule',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='alerts.alertrule'),
                ),
                migrations.AddField(
                    model_name='historicalalert',
                    name='service',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='discovery.aiservice'),
                ),
                migrations.AddField(
                    model_name='historicalalertrule',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddField(
                    model_name='historicalsilence',
                    name='created_by',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddField(
                    model_name='historicalsilence',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddField(
                    model_name='historicalsilence',
                    name='rule',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='alerts.alertrule'),
                ),
                migrations.AddField(
                    model_name='historicalsilence',
                    name='service',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='discovery.aiservice'),
                ),
                migrations.AddField(
                    model_name='silence',
                    name='created_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddField(
                    model_name='silence',
                    name='rule',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='silences', to='alerts.alertrule'),
                ),
                migrations.AddField(
                    model_name='silence',
                    name='service',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='silences', to='discovery.aiservice'),
                ),
                migrations.AddConstraint(
                    model_name='alertrule',
                    constraint=models.CheckConstraint(condition=models.Q(('window_hours__gte', 1)), name='alertrule_window_positive'),
                ),
                migrations.AddIndex(
                    model_name='alert',
                    index=models.Index(fields=['status', 'severity'], name='discovery_a_status_f6ff7c_idx'),
                ),
                migrations.AddIndex(
                    model_name='alert',
                    index=models.Index(fields=['rule', 'service'], name='discovery_a_rule_id_b4b034_idx'),
                ),
                migrations.AddConstraint(
                    model_name='alert',
                    constraint=models.UniqueConstraint(fields=('fingerprint', 'window_start'), name='alert_unique_fingerprint_window'),
                ),
                migrations.AddConstraint(
                    model_name='silence',
                    constraint=models.CheckConstraint(condition=models.Q(('rule__isnull', False), models.Q(('subject', ''), _negated=True), ('service__isnull', False), _connector='OR'), name='silence_matches_something', violation_error_message='Give a rule, a user pseudonym or a service.'),
                ),
            ],
        ),
        migrations.CreateModel(
            name='HistoricalAlertRule_channels',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
            ],
            options={
                'verbose_name': 'HistoricalAlertRule_channels',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='historicalalertrule_channels',
            name='alertrule',
            field=models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='alerts.alertrule'),
        ),
        migrations.AddField(
            model_name='historicalalertrule_channels',
            name='channel',
            field=models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='notifications.channel'),
        ),
        migrations.AddField(
            model_name='historicalalertrule_channels',
            name='history',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='alerts.historicalalertrule'),
        ),
    ]
