"""django-import-export resource for the AI-system inventory (CSV/XLSX), with per-row validation.

Import identifies rows by ``name`` (update or create). Lifecycle stage and risk class are exported but never
imported: they only change through the transition and classification services.
"""

from __future__ import annotations

from typing import Any

from import_export import fields, resources, widgets

from governance.choices import OperatorRole
from governance.models import AISystem


class ListWidget(widgets.Widget):
    """A JSON list of strings in one cell, separated by ``;`` or ``,``; ``allowed`` restricts the values."""

    def __init__(self, allowed: list[str] | None = None) -> None:
        super().__init__()
        self.allowed = allowed

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[str]:
        if value is None or str(value).strip() == "":
            return []
        items = [v.strip() for v in str(value).replace(";", ",").split(",") if v.strip()]
        if self.allowed is not None:
            bad = [v for v in items if v not in self.allowed]
            if bad:
                raise ValueError(f"unknown value(s) {', '.join(bad)}; allowed: {', '.join(self.allowed)}")
        return list(dict.fromkeys(items))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "; ".join(value or [])


class AISystemResource(resources.ModelResource):
    roles = fields.Field(attribute="roles", column_name="roles", widget=ListWidget(allowed=list(OperatorRole.values)))
    personal_data_categories = fields.Field(
        attribute="personal_data_categories", column_name="personal_data_categories", widget=ListWidget()
    )
    lifecycle_stage = fields.Field(attribute="lifecycle_stage", column_name="lifecycle_stage", readonly=True)
    risk_class = fields.Field(attribute="risk_class", column_name="risk_class", readonly=True)
    classification_status = fields.Field(
        attribute="classification_status", column_name="classification_status", readonly=True
    )

    class Meta:
        model = AISystem
        import_id_fields = ["name"]
        fields = [
            "name",
            "purpose",
            "business_unit",
            "business_owner",
            "technical_owner",
            "vendor",
            "sourcing",
            "deployment",
            "data_location",
            "personal_data_categories",
            "affected_persons",
            "roles",
            "lifecycle_stage",
            "risk_class",
            "classification_status",
        ]
        export_order = fields
        clean_model_instances = True  # full_clean() per row: choice and required-field errors are shown per row
        skip_unchanged = True
        report_skipped = False

    def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        instance._change_reason = "inventory import"
