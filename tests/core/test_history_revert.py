"""Audit-trail integrity in the admin (issue 17): django-simple-history's *Revert* saved a past version's form
straight over a production AI system (blank questionnaire answers, reason "None", no reclassification). The History
pages are now read-only for every audited model, and changing an existing record needs a reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.models import AISystem
from tests.admin_forms import page_form_data
from tests.governance.factories import AISystemFactory


@pytest.fixture
def officer(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


@pytest.mark.django_db
def test_a_past_version_is_shown_read_only_and_a_revert_post_is_refused(officer: Client) -> None:
    # given a system changed once through its change form
    system = AISystemFactory(business_unit="Before")
    url = reverse("admin:governance_aisystem_change", args=[system.pk])
    data = {**page_form_data(officer.get(url)), "business_unit": "After", "change_reason": "reorganisation"}
    assert officer.post(url, data).status_code == 302
    first = system.history.order_by("history_id").first()
    version_url = reverse("admin:governance_aisystem_simple_history", args=[system.pk, first.history_id])
    # when the first version's page is opened, then posted as a revert would
    page = officer.get(version_url)
    posted = officer.post(version_url, {**data, "business_unit": "Before", "change_reason": ""})
    # then the page shows the version without a Revert button, and the post changes nothing
    html = page.content.decode()
    assert page.status_code == 200 and "Before" in html
    assert 'value="Revert"' not in html and ">Revert<" not in html
    assert posted.status_code == 403
    system.refresh_from_db()
    assert system.business_unit == "After"
    assert system.history.count() == 2


@pytest.mark.django_db
def test_changing_a_record_in_the_admin_needs_a_reason(officer: Client) -> None:
    system = AISystemFactory(business_unit="Before")
    url = reverse("admin:governance_aisystem_change", args=[system.pk])
    data = {**page_form_data(officer.get(url)), "business_unit": "After", "change_reason": "  "}
    refused = officer.post(url, data)
    assert refused.status_code == 200
    assert "Say why this change is made" in refused.content.decode()
    system.refresh_from_db()
    assert system.business_unit == "Before"
    assert officer.post(url, {**data, "change_reason": "reorganisation"}).status_code == 302
    assert AISystem.objects.get(pk=system.pk).business_unit == "After"


@pytest.mark.django_db
def test_a_new_record_needs_no_reason(officer: Client) -> None:
    # the add form's reason stays optional: creation says what it is
    from core.admin_mixins import ChangeReasonForm

    class Form(ChangeReasonForm):
        class Meta:
            model = AISystem
            fields = ["name"]

    assert Form(data={"name": "New system"}).is_valid()


@pytest.mark.django_db
def test_the_history_page_shows_labels_and_only_the_json_keys_that_changed(officer: Client) -> None:
    # given a system whose deployment (a choice) and one questionnaire answer of many (JSON) changed
    facts = {f"question_{i}": "no" for i in range(40)}
    system = AISystemFactory(deployment="cloud", facts=facts)
    system.deployment = "on_prem"
    system.facts = {**facts, "question_7": "yes"}
    system._change_reason = "moved in-house"
    system.save()
    # when
    html = officer.get(reverse("admin:governance_aisystem_history", args=[system.pk])).content.decode()
    # then the diff reads as a person would write it
    assert "On-premises" in html and "on_prem" not in html
    assert "question_7: &quot;no&quot;" in html and "question_7: &quot;yes&quot;" in html
    assert "question_8" not in html and "chars]" not in html
