"""Admin forms: the classification questionnaire built from the engine's JSON Schema, and the transition form."""

from __future__ import annotations

from typing import Any

from django import forms

from governance.choices import LifecycleStage
from governance.classification import facts_json_schema

SEP = "__"  # form field name = "<section>__<question>"; roles are edited on the system itself


def _choices(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(opt["const"], f"{opt['const']} — {opt['description']}") for opt in schema["oneOf"]]


def _field_for(prop: dict[str, Any]) -> forms.Field:
    label, help_text = prop["title"], prop["description"]
    nullable = "anyOf" in prop
    inner = next((s for s in prop.get("anyOf", []) if s.get("type") != "null"), prop)
    if inner.get("type") == "boolean":
        return forms.BooleanField(label=label, help_text=help_text, required=False)
    if inner.get("type") == "number":
        return forms.FloatField(label=label, help_text=help_text, required=False, min_value=0)
    if inner.get("type") == "array":
        return forms.MultipleChoiceField(
            label=label,
            help_text=help_text,
            required=False,
            choices=_choices(inner["items"]),
            widget=forms.CheckboxSelectMultiple,
        )
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        required=False,
        choices=[("", "— none —"), *_choices(inner)] if nullable else _choices(inner),
    )


def questionnaire_sections() -> list[tuple[str, str, str, list[str]]]:
    """(section key, title, description, field names) for each questionnaire section, in schema order."""
    sections = []
    for key, section in facts_json_schema()["properties"].items():
        if section.get("type") != "object":
            continue
        sections.append(
            (key, section["title"], section["description"], [f"{key}{SEP}{q}" for q in section["properties"]])
        )
    return sections


class QuestionnaireForm(forms.Form):
    """One field per question of ``facts_json_schema()`` with the question's article-citing description as help."""

    def __init__(self, *args: Any, facts: dict[str, Any] | None = None, **kwargs: Any) -> None:
        initial: dict[str, Any] = {}
        schema = facts_json_schema()["properties"]
        super().__init__(*args, **kwargs)
        for key, section in schema.items():
            if section.get("type") != "object":
                continue
            for question, prop in section["properties"].items():
                name = f"{key}{SEP}{question}"
                self.fields[name] = _field_for(prop)
                value = (facts or {}).get(key, {}).get(question, prop.get("default"))
                initial[name] = "" if value is None else value
        self.initial = {**initial, **self.initial}

    def to_facts(self) -> dict[str, Any]:
        """The cleaned answers as a facts dict (without roles)."""
        facts: dict[str, dict[str, Any]] = {}
        for name, value in self.cleaned_data.items():
            section, question = name.split(SEP, 1)
            if value == "":
                value = None
            elif isinstance(value, list):
                value = list(value)
            facts.setdefault(section, {})[question] = value
        return facts

    def grouped(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(title, desc, [self[n] for n in names]) for _key, title, desc, names in questionnaire_sections()]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=LifecycleStage.choices, label="Move to")
    reason = forms.CharField(max_length=100, help_text="Why; recorded with the transition in the audit log.")
