"""Mask the channel secrets already written into the history table in clear (issue 12, item 2).

From now on ``channel_history_mask_secrets`` masks them when a history row is written; this rewrites the rows
written before, replacing each secret by the same keyed tag. Not reversible: the clear secrets are gone from
history on purpose (the live ``Channel`` rows keep theirs).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import migrations

from notifications.secrets import config_masked


def mask_channel_history(apps: Any, schema_editor: Any) -> None:
    historical = apps.get_model("discovery", "HistoricalChannel")
    tag_key = hashlib.sha256(b"discovery.channel.secret-tag:" + settings.SECRET_KEY.encode("utf-8")).digest()
    for row in historical.objects.only("history_id", "kind", "config").iterator():
        masked = config_masked(row.kind, row.config, tag_key=tag_key)
        if masked != row.config:
            historical.objects.filter(history_id=row.history_id).update(config=masked)


class Migration(migrations.Migration):
    dependencies = [("discovery", "0009_privacy_samples")]

    operations = [migrations.RunPython(mask_channel_history, migrations.RunPython.noop, elidable=True)]
