"""Step 1 of 4 of making the delivery outbox generic: drop the constraints tied to the alert foreign key.

The four steps are separate migrations because PostgreSQL refuses to ALTER a table in the transaction that updated
its rows (pending trigger events). What the steps do together:

The delivery outbox becomes generic before it moves to the notifications app (real schema changes, made while
the models are still in the discovery state; ``0016`` then hands them over).

A delivery no longer has a foreign key to an alert, nor an alert notification number: every delivery names its
event by ``event_key`` and what it is about by its generic ``target``. Existing alert deliveries get
``event_key = "alerts.alert.<alert id>.<notification>"`` and the alert as target, so nothing is lost and the
uniqueness "one delivery per alert, channel and notification" is the new "one delivery per channel and event".
A delivery may now have no channel: a direct e-mail to ``recipients`` (an obligation's owner, the compliance
officers of an audit). ``topic`` is a key of the topic registry (``notifications.topics``), no longer a fixed choice.

Reversible: going back restores ``alert`` and ``notification`` from the target and the key, and deletes the rows
the old schema cannot hold (direct e-mails, topics other than alerts and audit findings).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("discovery", "0011_content_dedup")]

    operations = [
        migrations.RemoveConstraint(model_name="delivery", name="delivery_unique_notification"),
        migrations.RemoveConstraint(model_name="delivery", name="delivery_unique_event"),
        migrations.RemoveConstraint(model_name="delivery", name="delivery_carries_one_event"),
    ]
