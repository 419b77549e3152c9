"""Move DRF ``authtoken`` keys to hashed, expiring API tokens (issue 18), so that no client loses access silently.

Until now API tokens were ``rest_framework.authtoken`` rows: one per user, created by a superuser, never expiring,
and stored in plaintext. That app is no longer installed; where its table still exists, each key becomes an
``ApiToken`` named "migrated authtoken key" whose hash is the SHA-256 of the key (``core.tokens``), expiring
``API_TOKEN_DEFAULT_DAYS`` after this migration (so old keys get rotated), and the plaintext keys are deleted.
Clients keep sending ``Authorization: Token <key>`` (still accepted) until they switch to a new ``Bearer`` token.
One ``core.api_token.legacy_migrated`` audit-log entry records how many keys, whose, and their new expiry.

Irreversible in effect: backwards it does nothing (the plaintext keys cannot be recovered from their hashes).
"""

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import migrations
from django.utils import timezone

LEGACY_TABLE = "authtoken_token"
MIGRATED_EVENT = "core.api_token.legacy_migrated"


def forward(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return  # a database created after authtoken left: nothing to move
    token_model = apps.get_model("core", "ApiToken")
    user_model = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    entry_model = apps.get_model("core", "AuditLogEntry")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, {quote('created')}, {quote('user_id')} FROM {quote(LEGACY_TABLE)}")
        rows = cursor.fetchall()
    if not rows:
        return
    now = timezone.now()
    expires_at = now + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    users = {u.pk: u for u in user_model.objects.filter(pk__in=[row[2] for row in rows])}
    migrated = []
    for key, created, user_id in rows:
        user = users.get(user_id)
        if user is None:
            continue
        token = token_model.objects.create(
            user=user,
            name="migrated authtoken key",
            prefix=key[:8],
            key_hash=hashlib.sha256(key.encode("utf-8")).hexdigest(),
            expires_at=expires_at,
        )
        if created is not None:
            # keep when the key was first issued (auto_now_add set "now" on insert)
            token_model.objects.filter(pk=token.pk).update(created_at=created)
        migrated.append(user.get_username())
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(LEGACY_TABLE)}")  # no plaintext credential stays behind
    entry_model.objects.create(
        event_type=MIGRATED_EVENT,
        reason="DRF authtoken keys moved to hashed, expiring API tokens; the plaintext keys were deleted",
        extra_data={
            "migration": "core.0007_api_tokens_from_authtoken",
            "tokens": len(migrated),
            "users": sorted(migrated),
            "expires_at": expires_at.isoformat(),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0006_api_tokens")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
