"""Admin: pages render per role, questionnaire/transition/summary/overview flows, immutability, import errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from import_export.formats.base_formats import XLSX
from tablib import Dataset

from governance.forms import QuestionnaireForm
from governance.models import AISystem, ClassificationRecord
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(system: AISystem) -> list[str]:
    record = system.classification_records.get()
    obligation = system.obligations.first()
    assert obligation is not None
    return [
        reverse("admin:governance_aisystem_changelist"),
        reverse("admin:governance_aisystem_change", args=[system.pk]),
        reverse("admin:governance_aisystem_summary", args=[system.pk]),
        reverse("admin:governance_aisystem_questionnaire", args=[system.pk]),
        reverse("admin:governance_overview"),
        reverse("admin:governance_obligation_changelist"),
        reverse("admin:governance_obligation_change", args=[obligation.pk]),
        reverse("admin:governance_classificationrecord_changelist"),
        reverse("admin:governance_classificationrecord_change", args=[record.pk]),
        reverse("admin:governance_aisystem_export"),
    ]


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("sam", 200), ("charlie", 403)], indirect=["persona"]
)
def test_read_pages_render_for_each_role(persona: Any, status: int, high_risk_system: AISystem) -> None:
    # given
    client = _client(persona)
    # when
    codes = {url: client.get(url).status_code for url in _pages(high_risk_system)}
    # then
    assert codes == dict.fromkeys(codes, status)


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_write_pages_are_for_compliance_officers(persona: Any, status: int, high_risk_system: AISystem) -> None:
    # given
    client = _client(persona)
    # when
    transition = client.get(reverse("admin:governance_aisystem_transition", args=[high_risk_system.pk]))
    import_page = client.get(reverse("admin:governance_aisystem_import"))
    # then
    assert transition.status_code == status
    assert import_page.status_code == status


def test_admin_index_links_the_overview(alice: Any) -> None:
    # when
    response = _client(alice).get(reverse("admin:index"))
    # then
    assert reverse("admin:governance_overview").encode() in response.content


def test_overview_shows_charts_and_overdue_obligations(alice: Any, high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    obligation.due_date = obligation.applies_from.replace(year=2020)
    obligation.save()
    # when
    response = _client(alice).get(reverse("admin:governance_overview"))
    # then
    content = response.content.decode()
    for chart in ("chart-by-class", "chart-by-stage"):
        assert content.split(f'id="{chart}"')[1].split("</div>")[0].count("<svg") == 1
    assert "Overdue obligations (1)" in content
    assert "first classification" in content


def test_summary_prints_class_rationale_and_obligations(alice: Any, high_risk_system: AISystem) -> None:
    # when
    content = _client(alice).get(reverse("admin:governance_aisystem_summary", args=[high_risk_system.pk])).content
    # then
    text = content.decode()
    assert "High risk (Art. 6)" in text
    assert "Annex III" in text
    assert "Art. 26" in text


def test_questionnaire_form_has_article_help_texts() -> None:
    # when
    form = QuestionnaireForm(facts={})
    # then
    assert "Art. 5(1)(f)" in str(form.fields["art_5__emotion_recognition_workplace_or_education"].help_text)
    assert "roles" not in form.fields
    assert form.fields["annex_iii__points"].widget.__class__.__name__ == "CheckboxSelectMultiple"


def test_questionnaire_save_and_classify(alice: Any) -> None:
    # given
    system = AISystemFactory(roles=["provider", "deployer"])
    data = {"annex_iii__points": ["5b"], "art_6_3__profiles_natural_persons": "yes", "_classify": "1"}
    # when
    response = _client(alice).post(reverse("admin:governance_aisystem_questionnaire", args=[system.pk]), data)
    # then
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.facts["annex_iii"]["points"] == ["5b"]
    assert system.risk_class == "high"
    assert system.classification_records.count() == 1


def test_transition_page_moves_and_reports_gates(alice: Any, high_risk_system: AISystem) -> None:
    # given
    client = _client(alice)
    url = reverse("admin:governance_aisystem_transition", args=[high_risk_system.pk])
    # when
    moved = client.post(url, {"to": "approved", "reason": "assessment done"})
    blocked = client.post(url, {"to": "production", "reason": "go live"})
    # then
    assert moved.status_code == 302
    assert blocked.status_code == 200
    assert b"open obligation" in blocked.content
    high_risk_system.refresh_from_db()
    assert high_risk_system.lifecycle_stage == "approved"


def test_classification_records_cannot_be_changed_or_deleted_in_the_admin(
    alice: Any, high_risk_system: AISystem
) -> None:
    # given
    record = high_risk_system.classification_records.get()
    client = _client(alice)
    # when
    change = client.post(reverse("admin:governance_classificationrecord_change", args=[record.pk]), {"risk_class": "x"})
    delete = client.post(reverse("admin:governance_classificationrecord_delete", args=[record.pk]), {"post": "yes"})
    # then
    assert change.status_code == 403
    assert delete.status_code == 403
    assert ClassificationRecord.objects.get(pk=record.pk).risk_class == "high"


def test_classify_admin_action(alice: Any) -> None:
    # given
    systems = AISystemFactory.create_batch(2)
    # when
    response = _client(alice).post(
        reverse("admin:governance_aisystem_changelist"),
        {"action": "classify_selected", "_selected_action": [s.pk for s in systems]},
    )
    # then
    assert response.status_code == 302
    assert ClassificationRecord.objects.count() == 2


def test_transition_admin_action_reports_blocked_systems(alice: Any, high_risk_system: AISystem) -> None:
    # given
    AISystem.objects.filter(pk=high_risk_system.pk).update(lifecycle_stage="approved")
    # when
    response = _client(alice).post(
        reverse("admin:governance_aisystem_changelist"),
        {"action": "transition_to_production", "_selected_action": [high_risk_system.pk]},
        follow=True,
    )
    # then
    assert b"open obligation" in response.content
    high_risk_system.refresh_from_db()
    assert high_risk_system.lifecycle_stage == "approved"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("risk_class__exact=high", ["CV ranker"]),
        ("role=provider", ["Provider thing"]),
        ("overdue=yes", ["CV ranker"]),
        ("overdue=no", ["Provider thing"]),
    ],
)
def test_changelist_filters(alice: Any, high_risk_system: AISystem, query: str, expected: list[str]) -> None:
    # given
    AISystemFactory(name="Provider thing", roles=["provider"])
    # when
    response = _client(alice).get(reverse("admin:governance_aisystem_changelist") + "?" + query)
    # then
    assert response.status_code == 200
    assert sorted(o.name for o in response.context["cl"].result_list) == expected


def test_import_with_a_bad_row_shows_the_row_error_and_imports_nothing(alice: Any) -> None:
    # given
    csv = (
        "name,purpose,business_unit,sourcing,deployment,roles\n"
        "Good system,Sorts tickets,IT,internal,cloud,deployer\n"
        "Bad system,Scores people,HR,outsourced,cloud,emperor\n"
    )
    upload = SimpleUploadedFile("inventory.csv", csv.encode(), content_type="text/csv")
    # when
    response = _client(alice).post(reverse("admin:governance_aisystem_import"), {"import_file": upload, "format": "0"})
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert "emperor" in content
    assert "outsourced" in content
    assert not AISystem.objects.filter(name__in=["Good system", "Bad system"]).exists()


def test_import_then_confirm_creates_systems(alice: Any) -> None:
    # given
    csv = "name,purpose,roles,personal_data_categories\nTicket sorter,Sorts tickets,provider; deployer,contact data\n"
    client = _client(alice)
    upload = SimpleUploadedFile("inventory.csv", csv.encode(), content_type="text/csv")
    preview = client.post(reverse("admin:governance_aisystem_import"), {"import_file": upload, "format": "0"})
    form = preview.context["confirm_form"]
    # when
    response = client.post(reverse("admin:governance_aisystem_process_import"), form.initial)
    # then
    assert response.status_code == 302
    system = AISystem.objects.get(name="Ticket sorter")
    assert system.roles == ["provider", "deployer"]
    assert system.personal_data_categories == ["contact data"]
    assert system.lifecycle_stage == "proposed"


def test_export_of_the_inventory_as_xlsx_is_a_workbook_of_the_systems(alice: Any, high_risk_system: AISystem) -> None:
    # given the export form, every field ticked, and its index of the XLSX format
    client = _client(alice)
    form = client.get(reverse("admin:governance_aisystem_export")).context["form"]
    xlsx = next(value for value, label in form.fields["format"].choices if label == "xlsx")
    ticked = {name: "on" for name, field in form.fields.items() if name.startswith("aisystemresource_")}
    # when
    response = client.post(reverse("admin:governance_aisystem_export"), {"resource": 0, "format": xlsx, **ticked})
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX.CONTENT_TYPE
    sheet = XLSX().create_dataset(response.content)
    assert high_risk_system.name in sheet["name"]


def test_import_of_an_xlsx_inventory_creates_systems(alice: Any) -> None:
    # given an XLSX workbook and the import form's index of the XLSX format
    sheet = Dataset(headers=["name", "purpose", "roles"])
    sheet.append(["Spreadsheet bot", "Fills spreadsheets", "deployer"])
    client = _client(alice)
    choices = client.get(reverse("admin:governance_aisystem_import")).context["form"].fields["format"].choices
    xlsx = next(value for value, label in choices if label == "xlsx")
    upload = SimpleUploadedFile("inventory.xlsx", XLSX().export_data(sheet), content_type=XLSX.CONTENT_TYPE)
    preview = client.post(reverse("admin:governance_aisystem_import"), {"import_file": upload, "format": xlsx})
    # when
    response = client.post(reverse("admin:governance_aisystem_process_import"), preview.context["confirm_form"].initial)
    # then
    assert response.status_code == 302
    assert AISystem.objects.get(name="Spreadsheet bot").roles == ["deployer"]


def test_admin_add_and_change_go_through_the_services(alice: Any) -> None:
    # given
    client = _client(alice)
    # when
    added = client.post(
        reverse("admin:governance_aisystem_add"),
        {
            "name": "Ticket router",
            "purpose": "Routes support tickets.",
            "roles": ["provider", "deployer"],
            "sourcing": "internal",
            "deployment": "hybrid",
            "personal_data_categories": '["contact data"]',
            "change_reason": "new system",
        },
    )
    system = AISystem.objects.get(name="Ticket router")
    changed = client.post(
        reverse("admin:governance_aisystem_change", args=[system.pk]),
        {"name": "Ticket router", "purpose": "Routes tickets.", "roles": ["deployer"], "change_reason": "scope"},
    )
    # then
    assert (added.status_code, changed.status_code) == (302, 302)
    system.refresh_from_db()
    assert system.roles == ["deployer"]
    assert system.facts["roles"] == ["deployer"]  # the service normalised the facts
    assert system.deployment == "hybrid"  # omitted field kept
    assert system.personal_data_categories == ["contact data"]
    assert system.history.latest().history_change_reason == "scope"
    assert system.history.earliest().history_user == alice


def test_obligations_inline_edit_keeps_history_and_requires_a_reason_for_not_applicable(
    alice: Any, high_risk_system: AISystem
) -> None:
    # given
    client = _client(alice)
    obligations = list(high_risk_system.obligations.filter(is_current=True).order_by("applies_from", "article"))
    prefix = "obligations"
    base = {
        "name": high_risk_system.name,
        "purpose": high_risk_system.purpose,
        "roles": high_risk_system.roles,
        "change_reason": "checklist review",
        f"{prefix}-TOTAL_FORMS": str(len(obligations)),
        f"{prefix}-INITIAL_FORMS": str(len(obligations)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "0",
    }
    for i, o in enumerate(obligations):
        row = {
            "id": str(o.pk),
            "system": str(high_risk_system.pk),
            "status": o.status,
            "not_applicable_reason": "",
            "owner": "",
            "due_date": o.due_date.isoformat() if o.due_date else "",
        }
        base.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    url = reverse("admin:governance_aisystem_change", args=[high_risk_system.pk])
    # when
    refused = client.post(url, {**base, f"{prefix}-0-status": "not_applicable"})
    accepted = client.post(url, {**base, f"{prefix}-0-status": "done", f"{prefix}-0-owner": str(alice.pk)})
    # then
    assert refused.status_code == 200
    assert b"reason" in refused.content
    assert accepted.status_code == 302
    first = obligations[0]
    first.refresh_from_db()
    assert (first.status, first.owner) == ("done", alice)
    assert first.history.latest().history_change_reason == "checklist review"


def test_system_page_links_to_an_evidence_pack_request_for_this_system(
    client: Any, alice: Any, high_risk_system: AISystem
) -> None:
    # given
    client.force_login(alice)
    # when
    page = client.get(reverse("admin:governance_aisystem_change", args=[high_risk_system.pk]))
    # then
    expected = f"{reverse('admin:evidence_evidencepack_request')}?ai_system={high_risk_system.pk}"
    assert expected in page.content.decode()
