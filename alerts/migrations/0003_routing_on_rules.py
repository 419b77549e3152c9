"""Alert routing moves from the channel to the rule, keeping who receives what.

Before, a channel could list rules ("only these rules' alerts"); a channel listing none took every rule. Now a rule
lists channels ("my alerts go only there"); a rule listing none goes to every channel subscribed to alerts. The
rows of ``discovery_channel_rules`` are the same pairs either way, so when some channel filtered by rule, every
rule gets, besides the filtering channels that listed it, every channel that did not filter: the same deliveries
as before. A rule that no channel at all would have received (every channel filtered, none listed it) cannot be
expressed ("no channel" now means "every channel"); it is left to every channel and the migration says so in its
output. Backwards it does nothing (the forward result is also valid under the old reading for the common case).
"""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    db = schema_editor.connection.alias
    rule_model = apps.get_model("alerts", "AlertRule")
    channel_model = apps.get_model("notifications", "Channel")
    through = rule_model.channels.through
    pairs = set(through.objects.using(db).values_list("alertrule_id", "channel_id"))
    if not pairs:
        return  # nobody filtered: every rule went to every channel, which is what "no channels" means now
    filtering = {channel for _, channel in pairs}
    unfiltered = set(channel_model.objects.using(db).exclude(pk__in=filtering).values_list("pk", flat=True))
    added = []
    for rule in rule_model.objects.using(db).values_list("pk", flat=True):
        listed = {channel for r, channel in pairs if r == rule}
        if not listed and not unfiltered:
            print(f"\n  alerts.0003: rule {rule} was delivered to no channel; it now goes to every channel")
            continue
        added.extend(through(alertrule_id=rule, channel_id=c) for c in sorted(unfiltered - listed))
    through.objects.using(db).bulk_create(added)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_content_types_from_discovery")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
