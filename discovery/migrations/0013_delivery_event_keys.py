"""Step 2 of 4 (see 0012): every delivery gets an ``event_key`` and a generic target; an alert delivery's are
``alerts.alert.<alert id>.<notification>`` and the alert (data only)."""

from django.db import migrations, models

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



class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0012_delivery_constraints_drop"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
