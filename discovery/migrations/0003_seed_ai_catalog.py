"""Seed the AI-service catalog from a frozen snapshot, ``0003_seed_ai_catalog.json`` (idempotent: existing slugs
are kept).

The snapshot is a *historical* copy, not a second source of truth: it is the catalog of
``discovery/catalog/data/catalog.json`` (the one source, read by ``discovery.catalog.load_seed``) as it stood when this
migration was written, already expanded into table rows with the risk score and factors of that day. It is read here
with ``json`` alone, never through live code (neither the loader nor the risk score), so that a later edit of the
catalog, of the rule syntax or of the risk weights does not change what this migration does on a fresh database.
Never edit it: ship catalog changes as a new data migration (``tests/discovery/test_models.py`` fails until the
migrated catalog equals the data file again)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).with_suffix(".json")


def seed(apps, schema_editor):
    AIService = apps.get_model("discovery", "AIService")
    AIServiceRule = apps.get_model("discovery", "AIServiceRule")
    payload = json.loads(DATA.read_text(encoding="utf-8"))
    existing = set(AIService.objects.values_list("slug", flat=True))
    taken = set(AIServiceRule.objects.values_list("rule_type", "value"))
    for item in payload["services"]:
        if item["slug"] in existing:
            continue
        rules = item.pop("rules")
        service = AIService.objects.create(**item)
        AIServiceRule.objects.bulk_create(
            AIServiceRule(service=service, **rule) for rule in rules if (rule["rule_type"], rule["value"]) not in taken
        )


def unseed(apps, schema_editor):
    AIService = apps.get_model("discovery", "AIService")
    slugs = [item["slug"] for item in json.loads(DATA.read_text(encoding="utf-8"))["services"]]
    AIService.objects.filter(slug__in=slugs).delete()


class Migration(migrations.Migration):
    dependencies = [("discovery", "0002_catalog_batches_usage")]

    operations = [migrations.RunPython(seed, unseed)]
