"""Seed the AI-service catalog from a frozen JSON copy of ``discovery.catalog`` (generated once; never re-read live
code here, so later catalog edits do not change what this migration does). Idempotent: existing slugs are kept."""

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
