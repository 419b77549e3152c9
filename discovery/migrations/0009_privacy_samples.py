"""Malformed-line samples are personal data: add the sealed (encrypted) raw copy, and redact the samples already
stored (sealing their raw text first, so that holders of the re-identification permission can still read it)."""

from typing import Any

from django.db import migrations, models


def protect_existing(apps: Any, schema_editor: Any) -> None:
    from discovery.pseudonyms import seal_json
    from discovery.redaction import FIXED_LAYOUTS, redact_sample

    chunk_model = apps.get_model("discovery", "LogChunk")
    batch_model = apps.get_model("discovery", "LogBatch")
    # the header-defined layouts are not known any more here: the fixed ones and the patterns apply
    for chunk in chunk_model.objects.exclude(malformed_samples=[]).select_related("batch").iterator():
        layout = FIXED_LAYOUTS.get(chunk.batch.log_format)
        chunk.malformed_samples_sealed = seal_json(chunk.malformed_samples)
        chunk.malformed_samples = [redact_sample(s, layout) for s in chunk.malformed_samples]
        chunk.save(update_fields=["malformed_samples", "malformed_samples_sealed"])
    for batch in batch_model.objects.exclude(malformed_samples=[]).iterator():
        layout = FIXED_LAYOUTS.get(batch.log_format)
        batch.malformed_samples = [redact_sample(s, layout) for s in batch.malformed_samples]
        batch.save(update_fields=["malformed_samples"])


class Migration(migrations.Migration):
    dependencies = [("discovery", "0008_lifecycle_chunk_states")]

    operations = [
        migrations.AddField(
            model_name="logchunk",
            name="malformed_samples_sealed",
            field=models.TextField(
                blank=True,
                help_text="The raw samples, encrypted; revealed only by the audited log_batch_samples_reveal.",
            ),
        ),
        migrations.AlterField(
            model_name="logbatch",
            name="malformed_samples",
            field=models.JSONField(
                blank=True, default=list, help_text="The first chunks' samples, redacted of users and addresses."
            ),
        ),
        migrations.AlterField(
            model_name="logchunk",
            name="malformed_samples",
            field=models.JSONField(blank=True, default=list, help_text="Redacted of users and addresses."),
        ),
        migrations.RunPython(protect_existing, migrations.RunPython.noop),
    ]
