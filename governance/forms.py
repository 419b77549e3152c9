"""Admin forms: the classification questionnaire built from the engine's JSON Schema, and the transition form.

Every yes/no question has three answers, *Yes*, *No* and *Unknown* (the default): an unknown answer is stored as
``null`` and the engine reports the classification as incomplete when that answer could change it. A list question
whose "nothing applies" is itself an answer (Annex III points) has a "None of these" box, so an empty list means
"none apply" only when somebody said so.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from governance.choices import LifecycleStage
from governance.classification import FactsValidationError, facts_from_dict, facts_json_schema

SEP = "__"  # form field name = "<section>__<question>"; roles are edited on the system itself
YES, NO, UNKNOWN = "yes", "no", "unknown"
NONE_APPLY = "none"  # the "None of these" box of a nullable list question
_PATH = re.compile(r"\b([a-z0-9_]+)\.([a-z0-9_]+)\b")


def _choices(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(opt["const"], f"{opt['const']} — {opt['description']}") for opt in schema["oneOf"]]


class YesNoUnknownField(forms.ChoiceField):
    """A three-valued answer: ``True``, ``False`` or ``None`` (unknown) in ``cleaned_data``."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[(YES, "Yes"), (NO, "No"), (UNKNOWN, "Unknown")], required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value is True:
            return YES
        if value is False:
            return NO
        if value in (None, ""):
            return UNKNOWN
        return value

    def clean(self, value: Any) -> bool | None:
        value = super().clean(value)
        return {YES: True, NO: False}.get(value)


class AnswerListField(forms.MultipleChoiceField):
    """A list answer that can also be unknown: nothing ticked is ``None``, only "None of these" is ``[]``."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(choices=[*choices, (NONE_APPLY, "None of these apply")], required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple) and not value:
            return [NONE_APPLY]
        return value

    def clean(self, value: Any) -> list[str] | None:
        picked: list[str] = super().clean(value)
        if not picked:
            return None
        if NONE_APPLY in picked:
            if len(picked) > 1:
                raise forms.ValidationError("“None of these apply” cannot be ticked together with a point.")
            return []
        return picked


def _field_for(prop: dict[str, Any]) -> forms.Field:
    label, help_text = prop["title"], prop["description"]
    nullable = "anyOf" in prop
    inner = next((s for s in prop.get("anyOf", []) if s.get("type") != "null"), prop)
    kind = inner.get("type")
    if kind == "boolean":
        return YesNoUnknownField(label=label, help_text=help_text)
    if kind == "number":
        return forms.FloatField(
            label=label, help_text=f"{help_text} Leave empty if unknown.", required=False, min_value=0
        )
    if kind == "string" and inner.get("format") == "date":
        return forms.DateField(
            label=label,
            help_text=f"{help_text} Leave empty if unknown.",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
    if kind == "array":
        if nullable:
            return AnswerListField(label=label, help_text=help_text, choices=_choices(inner["items"]))
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
    """One field per question of ``facts_json_schema()`` with the question's article-citing description as help.

    Yes/No/Unknown for every yes/no question; contradictory answers (``facts_contradictions``, e.g. "not an AI
    system" with workplace emotion recognition, Art. 3(1)/3(39)) are errors on both fields they name.
    """

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
                initial[name] = (facts or {}).get(key, {}).get(question, prop.get("default"))
        self.initial = {**initial, **self.initial}

    def to_facts(self) -> dict[str, Any]:
        """The cleaned answers as a facts dict (without roles); unknown answers are ``None``."""
        facts: dict[str, dict[str, Any]] = {}
        for name, value in self.cleaned_data.items():
            section, question = name.split(SEP, 1)
            if value == "":
                value = None
            elif isinstance(value, list):
                value = list(value)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            facts.setdefault(section, {})[question] = value
        return facts

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            facts_from_dict(self.to_facts())
        except FactsValidationError as exc:
            for message in exc.errors:
                names = [f"{s}{SEP}{q}" for s, q in _PATH.findall(message) if f"{s}{SEP}{q}" in self.fields]
                for name in dict.fromkeys(names) or [None]:
                    self.add_error(name, message)
        return cleaned

    def grouped(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(title, desc, [self[n] for n in names]) for _key, title, desc, names in questionnaire_sections()]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=LifecycleStage.choices, label="Move to")
    reason = forms.CharField(max_length=100, help_text="Why; recorded with the transition in the audit log.")
